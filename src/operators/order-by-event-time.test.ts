import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../core/types.js';
import { testContext, type TestContext } from './context.js';
import type { OrderingOptions } from './options.js';
import { orderByEventTime } from './order-by-event-time.js';

const obs = (t: number, v = t, key = 'k'): Observation => ({ key, eventTime: t, fields: { value: v } });

function marble(
  ordering: Partial<OrderingOptions>,
  input: string,
  values: Record<string, Observation>,
  expected: string,
  out = values,
): TestContext {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  const ctx = testContext(scheduler);
  scheduler.run(({ cold, expectObservable }) => {
    expectObservable(cold(input, values).pipe(orderByEventTime({ step_ms: 1, ordering }, ctx))).toBe(expected, out);
  });
  return ctx;
}

describe('orderByEventTime', () => {
  it('holds records until the watermark (newest time - max_delay) passes them, then releases them in event-time order', () => {
    const v = { a: obs(0), b: obs(5), c: obs(3), d: obs(20) };
    // d (t=20) moves the watermark to 10: a, c, b leave in time order; d leaves at completion.
    marble({ max_delay_ms: 10 }, 'abcd 9ms |', v, '---(acb) 5ms (d|)');
  });

  it('releases at once when max_delay is 0 and records are in order', () => {
    const v = { a: obs(1), b: obs(2), c: obs(3) };
    marble({}, 'abc|', v, 'abc|');
  });

  it('passes a record behind the watermark within allowed lateness, dead-letters one beyond it', () => {
    const v = { a: obs(10), b: obs(7), c: obs(2) };
    const ctx = marble({ allowed_lateness_ms: 5 }, 'abc|', v, 'ab-|');
    expect(ctx.deadLetters).toHaveLength(1);
    expect(ctx.deadLetters[0]).toMatchObject({ code: 'late_record', record: v.c });
    expect(ctx.metrics.get('error:late_record:order')).toBe(1);
  });

  it('drops a duplicate (same stream and time) by default, dead-lettered and counted', () => {
    const v = { a: obs(1, 1), b: obs(1, 2), c: obs(20) };
    const ctx = marble({ max_delay_ms: 10 }, 'abc|', v, '--a(c|)');
    expect(ctx.deadLetters.map((d) => [d.code, d.record])).toEqual([['duplicate', v.b]]);
  });

  it('replaces the held record with its duplicate when configured', () => {
    const v = { a: obs(1, 1), b: obs(1, 2), c: obs(20) };
    const ctx = marble({ max_delay_ms: 10, duplicates: 'replace' }, 'abc|', v, '--b(c|)');
    expect(ctx.deadLetters).toHaveLength(0);
    expect(ctx.metrics.get('duplicates_replaced')).toBe(1);
  });

  it('dead-letters a duplicate of a record already released', () => {
    const v = { a: obs(1, 1), b: obs(1, 2) };
    const ctx = marble({ duplicates: 'replace' }, 'ab|', v, 'a-|');
    expect(ctx.deadLetters[0]).toMatchObject({ code: 'duplicate', record: v.b });
  });

  it('keeps one watermark per stream', () => {
    const v = { a: obs(0, 0, 'x'), b: obs(100, 0, 'y'), c: obs(15, 0, 'x') };
    // y's newest time does not release x's record; x's own newer record does.
    marble({ max_delay_ms: 10 }, 'abc|', v, '--a(cb|)');
  });

  it('with idle_flush_ms the clock advances the watermark of a quiet stream', () => {
    // Virtual time: the record (t=3) waits for now - max_delay >= 3, i.e. the tick at frame 15.
    const v = { a: obs(3) };
    marble({ max_delay_ms: 10, idle_flush_ms: 5 }, 'a 29ms |', v, '15ms a 14ms |');
  });

  it('releases everything held at completion', () => {
    const v = { a: obs(30), b: obs(10), c: obs(20) };
    marble({ max_delay_ms: 100 }, 'abc|', v, '---(bca|)');
  });
});
