import { from, lastValueFrom, mergeMap, toArray, type OperatorFunction } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../core/types.js';
import { testContext, type OperatorContext } from './context.js';
import { engineerFeatures } from './engineer-features.js';
import { impute } from './impute.js';
import { overBatches } from './keyed-operator.js';
import { normalise } from './normalise.js';
import type { PipelineDataOptionsInput } from './options.js';
import { orderByEventTime } from './order-by-event-time.js';
import { parse } from './parse.js';
import { resample } from './resample.js';

// Every stage of the stream pipeline as an operator over batches (overBatches) gives what the
// per-record operators give on the same records, whatever the batching, one output batch per input batch.

const options: PipelineDataOptionsInput = {
  step_ms: 1000,
  fields: [{ name: 'value' }],
  ordering: { max_delay_ms: 2500, allowed_lateness_ms: 0 },
  impute: { method: 'linear', max_gap_steps: 3 },
  features: { lags: [1, 2], diffs: [1], rolling_windows: [3] },
};

function records(): RawRecord[] {
  const out: RawRecord[] = [];
  const origin = { connector: 't', partition: 0, offset: '0' };
  for (let i = 0; i < 120; i++) {
    for (const k of ['a', 'b']) {
      if (k === 'b' && i % 11 === 5) continue; // gaps to impute
      const t = (i + (i % 4 === 1 ? 2 : 0)) * 1000; // out of order within the delay
      out.push({
        payload: JSON.stringify({ stream: k, timestamp: t, value: Math.sin(i / 5) + (k === 'b' ? 3 : 0) }),
        format: 'json',
        origin,
      });
    }
    if (i % 30 === 7) out.push({ payload: '{"stream":"a","timestamp":', format: 'json', origin }); // dead letter
  }
  return out;
}

function stages<T>(
  ctx: OperatorContext,
  wrap: <I, O>(op: OperatorFunction<I, O>) => OperatorFunction<I, O> | OperatorFunction<readonly I[], O[]>,
): T[] {
  const o = options;
  return [parse(o, ctx), orderByEventTime(o, ctx), resample(o, ctx), impute(o, ctx), normalise(o, ctx), engineerFeatures(o, ctx)].map(
    (op) => wrap(op as OperatorFunction<unknown, unknown>),
  ) as T[];
}

describe('overBatches', () => {
  it('runs parse -> order -> resample -> impute -> normalise -> features over batches as the per-record operators do', async () => {
    const recs = records();
    const perRecordCtx = testContext();
    const [p, ob, rs, im, no, fe] = stages<OperatorFunction<unknown, unknown>>(perRecordCtx, (op) => op);
    const expected: unknown[] = await lastValueFrom(from(recs).pipe(p, ob, rs, im, no, fe, toArray()));

    const batchedCtx = testContext();
    const [bp, bob, brs, bim, bno, bfe] = stages<OperatorFunction<unknown[], unknown[]>>(batchedCtx, (op) => overBatches(op));
    const sizes = [1, 7, 64, 3, 100];
    const batches: RawRecord[][] = [];
    for (let i = 0, j = 0; i < recs.length; i += sizes[j++ % sizes.length]) batches.push(recs.slice(i, i + sizes[j % sizes.length]));
    const outBatches: unknown[][] = await lastValueFrom(from(batches).pipe(bp, bob, brs, bim, bno, bfe, toArray()));
    const got = await lastValueFrom(
      from(outBatches).pipe(
        mergeMap((b) => b),
        toArray(),
      ),
    );

    expect(expected.length).toBeGreaterThan(100);
    expect(got).toEqual(expected);
    // One batch out per batch in, plus at most one per stage for what its completion released.
    expect(outBatches.length).toBeGreaterThanOrEqual(batches.length);
    expect(outBatches.length).toBeLessThanOrEqual(batches.length + 6);
    // The same dead letters; their order differs (a batch passes each stage whole before the next).
    const dead = (ctx: { deadLetters: { code: string; detail: string }[] }) => ctx.deadLetters.map((d) => `${d.code} ${d.detail}`).sort();
    expect(dead(batchedCtx)).toEqual(dead(perRecordCtx));
    expect(batchedCtx.deadLetters.length).toBeGreaterThan(0);
  });

  it('refuses an operator it cannot run over batches', () => {
    expect(() => overBatches((s) => s)).toThrow(/not an operator of src\/operators/);
  });
});
