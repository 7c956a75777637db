import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TidecastError } from '../core/errors.js';
import type { Observation } from '../core/types.js';
import { testContext } from './context.js';
import { engineerFeatures } from './engineer-features.js';
import { cloneStep, type FeatureStep } from './feature-step.js';
import { impute } from './impute.js';
import { normalise } from './normalise.js';
import type { PipelineDataOptionsInput } from './options.js';
import { orderByEventTime } from './order-by-event-time.js';
import { resample } from './resample.js';
import { streamPipeline } from './stream-pipeline.js';
import { StreamProcessor } from './stream-processor.js';

const STEP = 1000;
const base: PipelineDataOptionsInput = {
  step_ms: STEP,
  fields: [{ name: 'value' }, { name: 'aux', role: 'exogenous', aggregation: 'last' }],
  ordering: { max_delay_ms: 5000, max_buffered_events: 64 },
  impute: { method: 'linear', max_gap_steps: 4 },
  features: { lags: [1, 3], rolling_windows: [3, 5] },
};

function runAll(options: PipelineDataOptionsInput, input: readonly Observation[]) {
  const ctx = testContext();
  const p = new StreamProcessor(options, ctx);
  const out: FeatureStep[] = [];
  const emit = (s: FeatureStep): void => {
    out.push(cloneStep(s));
  };
  for (const o of input) p.push(o, emit);
  p.flush(emit);
  return { out, ctx, p };
}

const byKey = (steps: FeatureStep[]): Record<string, FeatureStep[]> => {
  const m: Record<string, FeatureStep[]> = {};
  for (const s of steps) (m[s.key] ??= []).push(s);
  return m;
};

/** Streams of records with distinct, increasing times (ms), random gaps and values. */
const seriesArb = fc
  .array(
    fc.array(
      fc.record({
        dt: fc.integer({ min: 1, max: 4000 }),
        v: fc.double({ min: 1, max: 100, noNaN: true }),
        aux: fc.option(fc.integer({ min: 0, max: 9 })),
      }),
      { minLength: 1, maxLength: 60 },
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((streams) =>
    streams.flatMap((recs, s) => {
      let t = 1_700_000_000_000;
      return recs.map((r) => {
        t += r.dt;
        const fields: Record<string, number> = { value: r.v };
        if (r.aux !== null) fields.aux = r.aux;
        return { key: `s${s}`, eventTime: t, fields } as Observation;
      });
    }),
  );

describe('StreamProcessor', () => {
  it('gives the same output for any arrival order within the allowed delay', () => {
    fc.assert(
      fc.property(seriesArb, fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 300, maxLength: 300 }), (records, jitter) => {
        const sorted = [...records].sort((a, b) => a.eventTime - b.eventTime);
        // Arrival order = event time + a delay in [0, max_delay]: nothing arrives after the
        // watermark passed it, whatever the permutation.
        const shuffled = records
          .map((r, i) => ({ r, at: r.eventTime + jitter[i % jitter.length] }))
          .sort((a, b) => a.at - b.at)
          .map((x) => x.r);
        const a = runAll(base, sorted);
        const b = runAll(base, shuffled);
        expect(b.ctx.deadLetters).toEqual([]);
        expect(byKey(b.out)).toEqual(byKey(a.out));
      }),
      { numRuns: 60 },
    );
  });

  it('accounts for every step between the first and the last: observed, imputed or a broken gap', () => {
    fc.assert(
      fc.property(seriesArb, (records) => {
        const { out, p, ctx } = runAll(base, records);
        p.reportMetrics();
        let imputedSteps = 0;
        let missingInGaps = 0;
        for (const [key, steps] of Object.entries(byKey(out))) {
          const buckets = new Set(records.filter((r) => r.key === key).map((r) => Math.floor(r.eventTime / STEP) * STEP));
          const span = (Math.max(...buckets) - Math.min(...buckets)) / STEP + 1;
          expect(steps[0].t).toBe(Math.min(...buckets));
          expect(steps.at(-1)?.t).toBe(Math.max(...buckets));
          let missing = 0;
          for (let i = 0; i < steps.length; i++) {
            expect(steps[i].imputed[0]).toBe(buckets.has(steps[i].t) ? 0 : 1);
            if (steps[i].imputed[0] === 1) imputedSteps++;
            if (i === 0) continue;
            const gap = (steps[i].t - steps[i - 1].t) / STEP;
            if (steps[i].broken) {
              expect(gap - 1).toBeGreaterThan(4);
              missing += gap - 1;
            } else expect(gap).toBe(1);
          }
          missingInGaps += missing;
          // Every step of the span is emitted (observed or imputed) or lies in a broken gap.
          expect(steps.length + missing).toBe(span);
        }
        expect(ctx.metrics.get('imputed_steps')).toBe(imputedSteps);
        expect(ctx.metrics.get('broken_gap_steps')).toBe(missingInGaps);
        expect(ctx.metrics.get('sent')).toBe(out.length);
      }),
      { numRuns: 40 },
    );
  });

  it('equals the chain of single-verb operators', async () => {
    await fc.assert(
      fc.asyncProperty(seriesArb, async (records) => {
        const sorted = [...records].sort((a, b) => a.eventTime - b.eventTime);
        const fused = await lastValueFrom(from(sorted).pipe(streamPipeline(base, testContext()), toArray()));
        const ctx = testContext();
        const chained = await lastValueFrom(
          from(sorted).pipe(
            orderByEventTime(base, ctx),
            resample(base, ctx),
            impute(base, ctx),
            normalise(base, ctx),
            engineerFeatures(base, ctx),
            toArray(),
          ),
        );
        expect(byKey(chained)).toEqual(byKey(fused));
      }),
      { numRuns: 30 },
    );
  });

  it('restored from snapshots, continues exactly as if never stopped', () => {
    fc.assert(
      fc.property(seriesArb, fc.integer({ min: 0, max: 100 }), (records, cutPct) => {
        const cut = Math.floor((records.length * cutPct) / 100);
        const whole = runAll(base, records).out;
        const ctx = testContext();
        const first = new StreamProcessor(base, ctx);
        const out: FeatureStep[] = [];
        const emit = (s: FeatureStep): void => {
          out.push(cloneStep(s));
        };
        records.slice(0, cut).forEach((r) => {
          first.push(r, emit);
        });
        const second = new StreamProcessor(base, ctx);
        for (const key of first.keys()) second.restore(key, first.snapshot(key) as Uint8Array);
        records.slice(cut).forEach((r) => {
          second.push(r, emit);
        });
        second.flush(emit);
        expect(byKey(out)).toEqual(byKey(whole));
      }),
      { numRuns: 40 },
    );
  });

  it('denormalises the next observed target back to the step mean, from a restored snapshot', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        seriesArb,
        fc.constantFrom('none', 'log', 'log_return'),
        fc.constantFrom('zscore', 'ewm_zscore', 'minmax', 'robust'),
        (records, transform, method) => {
          const options = { ...base, normalise: { transform, method } } as PipelineDataOptionsInput;
          // The transform applies to the target only: aux = 0 (exogenous) is fine under log.
          const accepted = records;
          const p = new StreamProcessor(options, testContext());
          const snaps = new Map<string, Uint8Array>();
          const means = new Map<string, number>();
          for (const r of accepted) {
            const k = `${r.key}@${Math.floor(r.eventTime / STEP) * STEP}`;
            means.set(`${k}s`, (means.get(`${k}s`) ?? 0) + r.fields.value);
            means.set(`${k}n`, (means.get(`${k}n`) ?? 0) + 1);
          }
          const emit = (s: FeatureStep): void => {
            const prev = snaps.get(s.key);
            if (prev !== undefined && !Number.isNaN(s.target[0])) {
              const q = new StreamProcessor(options, testContext());
              q.restore(s.key, prev);
              const back = q.denormalise(s.key, 0, [s.target[0]], [0]).mean[0];
              const k = `${s.key}@${s.t}`;
              const want = (means.get(`${k}s`) as number) / (means.get(`${k}n`) as number);
              expect(Math.abs(back - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, want));
              checked++;
            }
            snaps.set(s.key, p.snapshot(s.key) as Uint8Array);
          };
          for (const r of records) p.push(r, emit);
          p.flush(emit);
        },
      ),
      { numRuns: 40 },
    );
    expect(checked).toBeGreaterThan(100);
  });

  it('refuses snapshot bytes of another layout or damaged ones', () => {
    const a = new StreamProcessor(base, testContext());
    a.push({ key: 'k', eventTime: 0, fields: { value: 1 } }, () => {});
    const bytes = a.snapshot('k') as Uint8Array;
    const other = new StreamProcessor({ ...base, features: { lags: [1, 2] } }, testContext());
    expect(() => other.restore('k', bytes)).toThrow(TidecastError);
    const damaged = bytes.slice();
    damaged[0] ^= 0xff;
    expect(() => new StreamProcessor(base, testContext()).restore('k', damaged)).toThrow(/magic/);
    expect(() => new StreamProcessor(base, testContext()).restore('k', bytes.subarray(0, 20))).toThrow(/bytes/);
    expect(a.bytesPerStream).toBe(bytes.byteLength - 16);
  });

  it('dead-letters bad observations with a reason, counted, and goes on', () => {
    const ctx = testContext();
    const p = new StreamProcessor({ ...base, normalise: { transform: 'log' } }, ctx);
    const out: FeatureStep[] = [];
    const emit = (s: FeatureStep): void => {
      out.push(cloneStep(s));
    };
    const bad: [Observation, string][] = [
      [{ key: 'k', eventTime: 0, fields: { value: Number.NaN } }, 'non_finite'],
      [{ key: 'k', eventTime: 0, fields: { value: Infinity } }, 'non_finite'],
      [{ key: 'k', eventTime: Number.NaN, fields: { value: 1 } }, 'non_finite'],
      [{ key: '', eventTime: 0, fields: { value: 1 } }, 'schema_mismatch'],
      [{ key: 'k', eventTime: 0, fields: { value: 1, humidity: 3 } }, 'schema_mismatch'],
      [{ key: 'k', eventTime: 0, fields: {} }, 'schema_mismatch'],
      [{ key: 'k', eventTime: 0, fields: { value: -1 } }, 'non_finite'],
    ];
    for (const [o] of bad) p.push(o, emit);
    p.push(null as unknown as Observation, emit);
    p.push({ key: 'k', eventTime: 10_000, fields: { value: 2 } }, emit);
    p.push({ key: 'k', eventTime: 10_000, fields: { value: 3 } }, emit);
    p.push({ key: 'k', eventTime: 13_000, fields: { value: 3 } }, emit);
    p.flush(emit);
    p.push({ key: 'k', eventTime: 1_000, fields: { value: 3 } }, emit);
    expect(ctx.deadLetters.map((d) => d.code)).toEqual([...bad.map((b) => b[1]), 'schema_mismatch', 'duplicate', 'late_record']);
    expect(ctx.deadLetters.every((d) => d.detail.length > 0)).toBe(true);
    expect(ctx.metrics.get('error:non_finite:pipeline')).toBe(4);
    expect(out.map((s) => s.t)).toEqual([10_000, 11_000, 12_000, 13_000]);
    expect(out.map((s) => s.imputed[0])).toEqual([0, 1, 1, 0]);
  });

  it('merges a record within allowed lateness into its still-open step', () => {
    const ctx = testContext();
    const p = new StreamProcessor(
      { step_ms: 10_000, ordering: { allowed_lateness_ms: 5000 }, features: { lags: [], diffs: [], rolling_windows: [], calendar: false } },
      ctx,
    );
    const out: FeatureStep[] = [];
    const emit = (s: FeatureStep): void => {
      out.push(cloneStep(s));
    };
    p.push({ key: 'k', eventTime: 0, fields: { value: 1 } }, emit);
    p.push({ key: 'k', eventTime: 8000, fields: { value: 2 } }, emit);
    p.push({ key: 'k', eventTime: 4000, fields: { value: 6 } }, emit); // late by 4 s: joins step 0
    p.push({ key: 'k', eventTime: 21_000, fields: { value: 5 } }, emit);
    p.push({ key: 'k', eventTime: 9000, fields: { value: 5 } }, emit); // its step is emitted: late
    p.flush(emit);
    p.reportMetrics();
    expect(ctx.metrics.get('late_accepted')).toBe(1);
    expect(ctx.deadLetters.map((d) => d.code)).toEqual(['late_record']);
    // Step 0's mean is (1 + 2 + 6) / 3 = 3: the first value normalises to 0, the denormalised
    // "forecast" 0 after step 0 is that mean.
    expect(out.map((s) => s.t)).toEqual([0, 10_000, 20_000]);
    expect(p.denormalise('k', 0, [0], [0]).mean[0]).toBeCloseTo((3 + 5) / 2, 12);
  });

  it('forgets an evicted stream: it starts again from a fresh state', () => {
    const p = new StreamProcessor({ step_ms: 1000, features: { calendar: false } }, testContext());
    const out: FeatureStep[] = [];
    const emit = (s: FeatureStep): void => {
      out.push(cloneStep(s));
    };
    [0, 1000, 2000].forEach((t) => {
      p.push({ key: 'a', eventTime: t, fields: { value: t / 100 } }, emit);
    });
    p.flush(emit);
    expect(p.evict('a')).toBe(true);
    expect(p.evict('a')).toBe(false);
    expect(p.snapshot('a')).toBeUndefined();
    p.push({ key: 'b', eventTime: 50_000, fields: { value: 7 } }, emit);
    p.flush(emit);
    // b reuses a's slot but none of its history: first value normalises to 0, no target yet.
    expect(out.at(-1)).toMatchObject({ key: 'b', t: 50_000, broken: false });
    expect(Array.from(out.at(-1)?.x ?? [])).toEqual(new Array(p.schema.names.length).fill(0));
    expect(p.streamCount).toBe(1);
  });

  it('describes its features and state size', () => {
    const p = new StreamProcessor(base, testContext());
    expect(p.schema.names.slice(0, 4)).toEqual(['value', 'value_lag1', 'value_lag3', 'value_diff1']);
    expect(p.schema.names).toContain('aux');
    expect(p.schema.names).toContain('value_roll5_std');
    expect(p.schema.targets).toEqual(['value']);
  });
});
