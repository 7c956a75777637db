import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Tick } from '../core/types.js';
import { testContext } from './context.js';
import { impute } from './impute.js';
import type { ImputeOptions } from './options.js';

const MIN = 60_000;
const tick = (t: number, v: number, key = 'k'): Tick => ({
  key,
  t,
  values: new Float64Array([v]),
  imputed: new Uint8Array(1),
  broken: false,
});
const filled = (t: number, v: number): Tick => ({
  key: 'k',
  t,
  values: new Float64Array([v]),
  imputed: new Uint8Array([1]),
  broken: false,
});
const broken = (t: number, v: number): Tick => ({ ...tick(t, v), broken: true });

function run(
  opts: Partial<ImputeOptions>,
  marbles: string,
  values: Record<string, Tick>,
  expected: string,
  out: Record<string, Tick>,
): void {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  scheduler.run(({ cold, expectObservable }) => {
    const ctx = testContext(scheduler);
    expectObservable(cold(marbles, values).pipe(impute({ step_ms: MIN, impute: opts }, ctx))).toBe(expected, out);
  });
}

// 10, 20, 30, 40 observed at minutes 0-3, nothing at 4 and 5, 70 at minute 6.
const series = { a: tick(0, 10), b: tick(MIN, 20), c: tick(2 * MIN, 30), d: tick(3 * MIN, 40), e: tick(6 * MIN, 70) };
const head = { a: series.a, b: series.b, c: series.c, d: series.d, e: series.e };

describe('impute', () => {
  it('fills a two-step gap linearly between its ends', () => {
    run({ method: 'linear', max_gap_steps: 5 }, 'abcd (e|)', head, 'abcd (xye|)', {
      ...head,
      x: filled(4 * MIN, 50),
      y: filled(5 * MIN, 60),
    });
  });

  it('forward fill repeats the last value', () => {
    run({ method: 'forward_fill', max_gap_steps: 5 }, 'abcd (e|)', head, 'abcd (xye|)', {
      ...head,
      x: filled(4 * MIN, 40),
      y: filled(5 * MIN, 40),
    });
  });

  it('seasonal takes the value one season ago', () => {
    run({ method: 'seasonal', season_steps: 2, max_gap_steps: 5 }, 'abcd (e|)', head, 'abcd (xye|)', {
      ...head,
      x: filled(4 * MIN, 30),
      y: filled(5 * MIN, 40),
    });
  });

  it('seasonal falls back to the last value when the season has no history yet', () => {
    const v = { a: tick(0, 5), b: tick(3 * MIN, 9) };
    run({ method: 'seasonal', season_steps: 4, max_gap_steps: 5 }, 'a (b|)', v, 'a (xyb|)', {
      ...v,
      x: filled(MIN, 5),
      y: filled(2 * MIN, 5),
    });
  });

  it('mean uses the running mean of observed values only', () => {
    run({ method: 'mean', max_gap_steps: 5 }, 'abcd (e|)', head, 'abcd (xye|)', {
      ...head,
      x: filled(4 * MIN, 25),
      y: filled(5 * MIN, 25),
    });
  });

  it('a gap longer than max_gap_steps is not filled: the next step is broken, and counted', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const ctx = testContext(scheduler);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcd (e|)', head).pipe(impute({ step_ms: MIN, impute: { method: 'linear', max_gap_steps: 1 } }, ctx))).toBe(
        'abcd (e|)',
        { ...head, e: broken(6 * MIN, 70) },
      );
    });
    expect(ctx.metrics.get('broken_gaps')).toBe(1);
    expect(ctx.metrics.get('broken_gap_steps')).toBe(2);
  });

  it('fills a field missing from a real step with the last value and flags only that field', () => {
    const two = (t: number, a: number, b: number): Tick => ({
      key: 'k',
      t,
      values: new Float64Array([a, b]),
      imputed: new Uint8Array(2),
      broken: false,
    });
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      const opts = { step_ms: MIN, fields: [{ name: 'a' }, { name: 'b' }], impute: { method: 'linear' as const } };
      const out = { ...two(MIN, 2, 7), imputed: new Uint8Array([0, 1]) };
      expectObservable(cold('x (y|)', { x: two(0, 1, 7), y: two(MIN, 2, NaN) }).pipe(impute(opts, testContext(scheduler)))).toBe('x (y|)', {
        x: two(0, 1, 7),
        y: out,
      });
    });
  });

  it('keeps streams apart', () => {
    const v = { a: tick(0, 1, 'a'), b: tick(0, 100, 'b'), c: tick(2 * MIN, 3, 'a'), d: tick(MIN, 200, 'b') };
    const a1: Tick = { ...filled(MIN, 2), key: 'a' };
    run({ method: 'linear' }, 'ab(cd|)', v, 'ab(xcd|)', { ...v, x: a1 });
  });
});
