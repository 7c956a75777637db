import { from, lastValueFrom, map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../core/types.js';
import { testContext } from './context.js';
import type { PipelineDataOptionsInput } from './options.js';
import { streamPipeline } from './stream-pipeline.js';
import { streamPipelineBatches } from './stream-pipeline-batches.js';

const opts: PipelineDataOptionsInput = {
  step_ms: 1000,
  batching: { max_batch: 4, max_wait_ms: 10 },
  features: { lags: [1], rolling_windows: [3] },
};

function records(): Observation[] {
  const out: Observation[] = [];
  for (let t = 0; t < 30; t++) {
    for (let s = 0; s < 5; s++)
      if ((t * 7 + s * 3) % 11 !== 0) out.push({ key: `s${s}`, eventTime: t * 1000 + s, fields: { value: Math.sin(t + s) * 10 + s } });
  }
  return out;
}

describe('streamPipelineBatches', () => {
  it('packs exactly the steps streamPipeline emits, at most max_batch per batch, one per stream', async () => {
    const steps = await lastValueFrom(from(records()).pipe(streamPipeline(opts, testContext()), toArray()));
    const batches = await lastValueFrom(from(records()).pipe(streamPipelineBatches(opts, testContext()), toArray()));
    const rows: { key: string; t: number; x: number[]; imputed: number[]; broken: boolean }[] = [];
    for (const b of batches) {
      expect(b.size).toBeLessThanOrEqual(4);
      expect(new Set(b.keys).size).toBe(b.size);
      for (let i = 0; i < b.size; i++) {
        rows.push({
          key: b.keys[i],
          t: b.t[i],
          x: Array.from(b.x.subarray(i * b.width, (i + 1) * b.width)),
          imputed: [b.imputed[i]],
          broken: b.broken[i] === 1,
        });
      }
    }
    expect(rows).toEqual(steps.map((s) => ({ key: s.key, t: s.t, x: Array.from(s.x), imputed: Array.from(s.imputed), broken: s.broken })));
  });

  it('lets a lone step wait at most max_wait_ms (virtual time)', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      const obs = (t: number): Observation => ({ key: 'k', eventTime: t, fields: { value: 1 } });
      // The record at t=1000 closes step 0 at frame 1; the batch leaves 10 ms later.
      const out = cold('ab 50ms |', { a: obs(0), b: obs(1000) }).pipe(streamPipelineBatches(opts, testContext(scheduler)));
      expectObservable(out.pipe(map((b) => [b.size, b.t[0]]))).toBe('- 10ms x 40ms (y|)', { x: [1, 0], y: [1, 1000] });
    });
  });
});
