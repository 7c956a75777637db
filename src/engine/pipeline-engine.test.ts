import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { AlertEvent } from '../core/alert-event.js';
import type { DeadLetter, Forecast, Observation } from '../core/types.js';
import { Prng } from '../training/prng.js';
import { PipelineEngine, type StepRow } from './pipeline-engine.js';

const HOUR = 3_600_000;

function spec(cell: string): PipelineSpec {
  const r = parsePipelineText(
    `name: t
step_ms: ${HOUR}
ordering: { max_delay_ms: ${HOUR} }
sources: [{ kind: file, path: x.csv, key_column: stream }]
features: { calendar: true }
model: { cell: ${cell}, layers: 2, units: 6, horizon: 4, seed: 3 }
alerting: { rules: [{ name: r, warning: 0.99 }] }
state: { dir: var/t }
`,
    't.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

/** Three streams, hourly with jitter, a few gaps, one long gap, a late record and bad values. */
function observations(): Observation[] {
  const rng = new Prng(42);
  const out: Observation[] = [];
  for (let i = 0; i < 300; i++) {
    for (const [k, key] of ['a', 'b', 'c'].entries()) {
      if ((i + k) % 37 === 0 || (k === 2 && i > 100 && i < 120)) continue;
      const t = i * HOUR + Math.floor(rng.uniform(0, HOUR));
      const v = 10 * (k + 1) + 5 * Math.sin(i / 12 + k) + rng.normal();
      out.push({ key, eventTime: t, fields: { value: v } });
    }
  }
  out.push({ key: 'a', eventTime: 5 * HOUR, fields: { value: 1 } }); // late
  out.push({ key: 'b', eventTime: 301 * HOUR, fields: { value: NaN } });
  out.push({ key: 'c', eventTime: 301 * HOUR, fields: { other: 1 } });
  return out;
}

interface Run {
  forecasts: Forecast[];
  rows: StepRow[];
  dead: DeadLetter[];
}

/** A non-zero head, so that forecasts depend on the recurrent state (the init head is zero). */
function withRandomHead(engine: PipelineEngine): PipelineEngine {
  const rng = new Prng(99);
  const k = engine.runner.model.headKernel.data;
  for (let i = 0; i < k.length; i++) k[i] = rng.uniform(-0.5, 0.5);
  return engine;
}

function listener(run: Run) {
  return {
    forecast: (f: Forecast) => run.forecasts.push(f),
    step: (r: StepRow) => run.rows.push(r),
    deadLetter: (d: DeadLetter) => run.dead.push(d),
  };
}

/** The stream pipeline's other options: lags, windows, log returns, replaced duplicates, exogenous input. */
function richSpec(): PipelineSpec {
  const r = parsePipelineText(
    `name: t
step_ms: ${HOUR}
fields: [{ name: value }, { name: load, role: exogenous }]
ordering: { max_delay_ms: ${HOUR}, duplicates: replace }
sources: [{ kind: file, path: x.csv, key_column: stream }]
normalise: { method: robust, transform: log_return }
features: { lags: [1, 2, 24], diffs: [1], seasonal_diff_steps: 24, rolling_windows: [6], rolling_stats: [mean, max], calendar: false }
model: { cell: gru, layers: 1, units: 6, horizon: 3, seed: 3 }
alerting: { rules: [{ name: r, warning: 0.99 }] }
state: { dir: var/t }
`,
    't.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

function richObservations(): Observation[] {
  const rng = new Prng(5);
  const out: Observation[] = [];
  for (let i = 0; i < 200; i++) {
    for (const [k, key] of ['a', 'b'].entries()) {
      const t = i * HOUR + Math.floor(rng.uniform(0, HOUR));
      out.push({
        key,
        eventTime: t,
        fields: { value: 50 * (k + 1) * Math.exp(0.1 * Math.sin(i / 8 + k) + 0.01 * rng.normal()), load: rng.uniform(0, 3) },
      });
      if (i % 50 === 7) out.push({ key, eventTime: t, fields: { value: 60, load: 1 } }); // a duplicate that replaces
    }
  }
  return out;
}

describe('PipelineEngine on the stream pipeline options', () => {
  it("feeds the processor's feature vector, forecasts in data units, and stays exact across batching and restore", () => {
    const s = richSpec();
    const obs = richObservations();
    const whole: Run = { forecasts: [], rows: [], dead: [] };
    const first = withRandomHead(new PipelineEngine(s, listener(whole)));
    expect(first.inputNames).toEqual([...first.processor.schema.names]);
    expect(first.inputNames).toContain('value_lag24');
    expect(first.inputNames).toContain('value_roll6_max');
    expect(first.inputNames).toContain('load');
    first.ingest(obs);
    first.flush();
    expect(whole.dead).toEqual([]);
    expect(first.processor.counters.replaced).toBe(8);
    // Log returns: every level forecast is positive, bands ordered, near the data's scale.
    for (const f of whole.forecasts) {
      for (let h = 0; h < 3; h++) {
        expect(f.lower[h]).toBeGreaterThan(0);
        expect(f.lower[h]).toBeLessThanOrEqual(f.mean[h]);
        expect(f.upper[h]).toBeGreaterThanOrEqual(f.mean[h]);
        expect(f.mean[h]).toBeLessThan(1000);
      }
    }
    const split: Run = { forecasts: [], rows: [], dead: [] };
    let engine = withRandomHead(new PipelineEngine(s, listener(split)));
    for (let i = 0; i < obs.length; i += 13) {
      engine.ingest(obs.slice(i, i + 13));
      if (i === 13 * 15) {
        const snap = JSON.parse(JSON.stringify(engine.snapshot()));
        engine = withRandomHead(new PipelineEngine(s, listener(split)));
        expect(engine.restore(snap)).toEqual([]);
      }
    }
    engine.flush();
    const byKey = (fs: Forecast[]) =>
      new Map(fs.map((f) => [`${f.key}|${f.t}`, [Array.from(f.mean), Array.from(f.lower), Array.from(f.upper)]]));
    expect(byKey(split.forecasts)).toEqual(byKey(whole.forecasts));
    expect(split.rows.map((r) => [r.key, r.t, r.score])).toEqual(whole.rows.map((r) => [r.key, r.t, r.score]));
  });

  it('checkpoints a stream whose only records are still held by the stream pipeline', () => {
    const obs = [0, 1, 2, 3, 4, 5].map((i) => ({ key: 'z', eventTime: i * HOUR, fields: { value: 10 + i * i } }));
    const whole: Run = { forecasts: [], rows: [], dead: [] };
    const a = new PipelineEngine(spec('gru'), listener(whole));
    a.ingest(obs);
    const split: Run = { forecasts: [], rows: [], dead: [] };
    const b = new PipelineEngine(spec('gru'), listener(split));
    b.ingest(obs.slice(0, 1));
    expect(b.stats.steps).toBe(0);
    const c = new PipelineEngine(spec('gru'), listener(split));
    c.restore(JSON.parse(JSON.stringify(b.snapshot())));
    c.ingest(obs.slice(1));
    expect(split.forecasts.map((f) => [f.t, Array.from(f.mean)])).toEqual(whole.forecasts.map((f) => [f.t, Array.from(f.mean)]));
    expect(whole.forecasts.length).toBe(4); // watermark 4 h (max_delay 1 h): steps 0-3 closed, 4 and 5 held
  });

  it('releases held steps when the watermark is advanced (idle flush)', () => {
    const run: Run = { forecasts: [], rows: [], dead: [] };
    const engine = new PipelineEngine(spec('gru'), listener(run));
    engine.ingest([0, 1, 2].map((i) => ({ key: 'a', eventTime: i * HOUR, fields: { value: i } })));
    const held = engine.stats.steps;
    engine.advanceWatermark(10 * HOUR);
    expect(engine.stats.steps).toBe(3);
    expect(held).toBeLessThan(3);
  });
});

describe.each(['gru', 'lstm', 'rnn'])('PipelineEngine (%s)', (cell) => {
  it('gives the same forecasts whatever the batching, and after a snapshot/restore in the middle', () => {
    const s = spec(cell);
    const obs = observations();
    const whole: Run = { forecasts: [], rows: [], dead: [] };
    withRandomHead(new PipelineEngine(s, listener(whole))).ingest(obs);

    const split: Run = { forecasts: [], rows: [], dead: [] };
    let engine = withRandomHead(new PipelineEngine(s, listener(split)));
    const rng = new Prng(7);
    let i = 0;
    let restored = false;
    while (i < obs.length) {
      const n = 1 + Math.floor(rng.uniform(0, 40));
      engine.ingest(obs.slice(i, i + n));
      i += n;
      if (!restored && i > obs.length / 2) {
        // Through JSON, as the checkpoint file does.
        const snap = JSON.parse(JSON.stringify(engine.snapshot()));
        const weights = JSON.parse(JSON.stringify(engine.runner.exportWeights()));
        engine = new PipelineEngine(s, listener(split));
        engine.runner.importWeights(weights);
        engine.restore(snap);
        restored = true;
      }
    }
    const key = (f: Forecast) => `${f.key}|${f.t}`;
    const byKey = (fs: Forecast[]) => new Map(fs.map((f) => [key(f), [Array.from(f.mean), Array.from(f.lower), Array.from(f.upper)]]));
    expect(split.forecasts.length).toBe(whole.forecasts.length);
    expect(byKey(split.forecasts)).toEqual(byKey(whole.forecasts));
    expect(split.rows.map((r) => [r.key, r.t, r.forecast, r.lower, r.upper, r.score])).toEqual(
      expect.arrayContaining(whole.rows.map((r) => [r.key, r.t, r.forecast, r.lower, r.upper, r.score])),
    );
    expect(split.dead.map((d) => d.code).sort()).toEqual(whole.dead.map((d) => d.code).sort());
  });

  it('splits a round into model calls of at most batching.max_batch rows, with the same forecasts', () => {
    const s = spec(cell);
    const whole: Run = { forecasts: [], rows: [], dead: [] };
    withRandomHead(new PipelineEngine(s, listener(whole))).ingest(observations());
    const small: Run = { forecasts: [], rows: [], dead: [] };
    const engine = withRandomHead(new PipelineEngine({ ...s, batching: { ...s.batching, max_batch: 2 } }, listener(small)));
    expect(engine.runner.maxBatch).toBe(2);
    engine.ingest(observations());
    expect(small.forecasts.length).toBeGreaterThan(100);
    const flat = (fs: Forecast[]) => fs.map((f) => [f.key, f.t, Array.from(f.mean), Array.from(f.lower), Array.from(f.upper)]);
    expect(flat(small.forecasts)).toEqual(flat(whole.forecasts));
  });

  it('scores and alerts the same without a forecast callback (reused arrays), and gives each forecast its own arrays', () => {
    const withForecasts: Run = { forecasts: [], rows: [], dead: [] };
    const alertsWith: AlertEvent[] = [];
    withRandomHead(new PipelineEngine(spec(cell), { ...listener(withForecasts), alert: (a: AlertEvent) => alertsWith.push(a) })).ingest(
      observations(),
    );
    const rowsOnly: StepRow[] = [];
    const alertsWithout: AlertEvent[] = [];
    withRandomHead(
      new PipelineEngine(spec(cell), { step: (r: StepRow) => rowsOnly.push(r), alert: (a: AlertEvent) => alertsWithout.push(a) }),
    ).ingest(observations());
    expect(rowsOnly.length).toBeGreaterThan(100);
    expect(rowsOnly).toEqual(withForecasts.rows);
    expect(alertsWithout).toEqual(alertsWith);
    const [a, b] = withForecasts.forecasts;
    expect(a.mean).not.toBe(b.mean);
    expect(a.lower).not.toBe(b.lower);
    expect(a.upper).not.toBe(b.upper);
  });

  it('hands a listener that copies (forecastCopies) the same forecasts in a reused object', () => {
    const own: Run = { forecasts: [], rows: [], dead: [] };
    withRandomHead(new PipelineEngine(spec(cell), listener(own))).ingest(observations());
    const copied: unknown[][] = [];
    const seen = new Set<Forecast>();
    withRandomHead(
      new PipelineEngine(spec(cell), {
        forecastCopies: true,
        forecast: (f: Forecast) => {
          seen.add(f);
          copied.push([f.key, f.t, f.modelVersion, Array.from(f.mean), Array.from(f.lower), Array.from(f.upper)]);
        },
      }),
    ).ingest(observations());
    expect(copied.length).toBeGreaterThan(100);
    expect(copied).toEqual(
      own.forecasts.map((f) => [f.key, f.t, f.modelVersion, Array.from(f.mean), Array.from(f.lower), Array.from(f.upper)]),
    );
    expect(seen.size).toBe(1);
  });

  it('hands a listener that copies (stepCopies) the same step rows in a reused object', () => {
    const own: Run = { forecasts: [], rows: [], dead: [] };
    withRandomHead(new PipelineEngine(spec(cell), listener(own))).ingest(observations());
    const copied: StepRow[] = [];
    const seen = new Set<StepRow>();
    withRandomHead(
      new PipelineEngine(spec(cell), {
        stepCopies: true,
        step: (r: StepRow) => {
          seen.add(r);
          copied.push({ ...r });
        },
      }),
    ).ingest(observations());
    expect(copied.length).toBeGreaterThan(100);
    expect(copied).toEqual(own.rows);
    expect(seen.size).toBe(1);
    expect(new Set(own.rows).size).toBe(own.rows.length);
  });

  it('dead-letters bad records with a code instead of dropping or throwing', () => {
    const run: Run = { forecasts: [], rows: [], dead: [] };
    const engine = new PipelineEngine(spec(cell), listener(run));
    engine.ingest(observations());
    expect(run.dead.map((d) => d.code).sort()).toEqual(['late_record', 'non_finite', 'schema_mismatch']);
    expect(engine.stats.deadLetters).toEqual({ late_record: 1, non_finite: 1, schema_mismatch: 1 });
    for (const f of run.forecasts) {
      for (let h = 0; h < 4; h++) {
        expect(Number.isFinite(f.mean[h])).toBe(true);
        expect(f.lower[h]).toBeLessThanOrEqual(f.mean[h]);
        expect(f.upper[h]).toBeGreaterThanOrEqual(f.mean[h]);
      }
    }
    // A one-step forecast row for every step that had one: all steps but each segment's first.
    expect(run.rows.length).toBe(engine.stats.steps - 4); // a, b, c start + c restarts after its long gap
  });

  it("scores each step with the alert engine's live calibrated score, the one its alerts carry", () => {
    const run: Run = { forecasts: [], rows: [], dead: [] };
    const alerts: AlertEvent[] = [];
    const engine = withRandomHead(new PipelineEngine(spec(cell), { ...listener(run), alert: (a: AlertEvent) => alerts.push(a) }));
    engine.ingest(observations());
    const scored = run.rows.filter((r) => !Number.isNaN(r.score));
    expect(scored.length).toBeGreaterThan(run.rows.length / 2);
    for (const r of run.rows) if (r.imputed) expect(r.score).toBeNaN();
    for (const r of scored) expect(r.score >= 0 && r.score <= 1).toBe(true);
    const firing = alerts.filter((a) => a.state === 'firing');
    expect(firing.length).toBeGreaterThan(0);
    const byKey = new Map(run.rows.map((r) => [`${r.key}|${r.t}`, r.score]));
    for (const a of firing) expect(byKey.get(`${a.stream}|${a.time}`)).toBe(a.score);
  });
});
