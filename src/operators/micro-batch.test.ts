import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { schedulerClock } from '../core/clock.js';
import type { Observation } from '../core/types.js';
import { testContext } from './context.js';
import type { FeatureStep } from './feature-step.js';
import { microBatch, packFeatures } from './micro-batch.js';
import { streamPipeline } from './stream-pipeline.js';

describe('microBatch', () => {
  it('cuts a batch at max_batch, or max_wait_ms after its first item', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('abc 10ms d 2ms e 20ms |');
      // a,b,c fill a batch of 3 at once; d waits 5 ms (e joins at +3 ms); nothing else.
      expectObservable(src.pipe(microBatch({ max_batch: 3, max_wait_ms: 5 }, schedulerClock(scheduler)))).toBe('--x 15ms y 18ms |', {
        x: ['a', 'b', 'c'],
        y: ['d', 'e'],
      });
    });
  });

  it('flushes what is left at completion', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|').pipe(microBatch({ max_batch: 10, max_wait_ms: 50 }, schedulerClock(scheduler)))).toBe('--(x|)', {
        x: ['a', 'b'],
      });
    });
  });

  it('puts one step per stream in a batch: a second step of a stream starts the next batch', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(
        cold('abc|').pipe(
          microBatch({ max_batch: 10, max_wait_ms: 50 }, schedulerClock(scheduler), (s: string) => s.toLowerCase().replace('c', 'a')),
        ),
      ).toBe('--x(y|)', { x: ['a', 'b'], y: ['c'] });
    });
  });

  it('packs feature vectors row-major', () => {
    const step = (v: number[]): FeatureStep => ({
      key: 'k',
      t: 0,
      x: Float32Array.from(v),
      target: new Float64Array(1),
      imputed: new Uint8Array(1),
      broken: false,
    });
    expect(Array.from(packFeatures([step([1, 2]), step([3, 4])], 2))).toEqual([1, 2, 3, 4]);
  });
});

describe('streamPipeline on virtual time', () => {
  it("emits a quiet stream's step when the idle flush moves the watermark past it", () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      const obs = (t: number): Observation => ({ key: 'k', eventTime: t, fields: { value: t } });
      const ctx = testContext(scheduler);
      const opts = {
        step_ms: 10,
        ordering: { max_delay_ms: 5, idle_flush_ms: 10 },
        features: { lags: [], diffs: [], rolling_windows: [], calendar: false, time_since_observation: false, imputed_mask: false },
      };
      // Records at t=0 and t=12 (virtual ms). Step [0,10) ends once the watermark reaches 10: not
      // at the record t=12 (12 - 5 = 7) but at the clock tick of frame 20 (20 - 5 = 15). Step
      // [10,20) at the tick of frame 30 (25 >= 20).
      const out = cold('a 11ms b 29ms |', { a: obs(0), b: obs(12) }).pipe(streamPipeline(opts, ctx));
      expectObservable(out).toBe('20ms x 9ms y 11ms |', {
        x: { key: 'k', t: 0, x: Float32Array.from([0]), target: Float64Array.from([NaN]), imputed: new Uint8Array(1), broken: false },
        y: { key: 'k', t: 10, x: Float32Array.from([12]), target: Float64Array.from([12]), imputed: new Uint8Array(1), broken: false },
      });
    });
  });
});
