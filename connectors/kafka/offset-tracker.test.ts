import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionTracker } from './offset-tracker.js';

describe('PartitionTracker', () => {
  it('commits only the contiguous acked prefix', () => {
    const t = new PartitionTracker();
    const a = t.track(10, 19, 10);
    const b = t.track(20, 24, 5);
    const c = t.track(27, 30, 3); // a gap (compaction) between batches is fine
    expect(t.unacked).toBe(18);
    expect(t.ack(b, t.generation)).toBe(true);
    expect(t.committable()).toBe(10); // nothing acked before b: the point stays at the first offset
    t.markCommitted(10);
    expect(t.committable()).toBe(-1);
    expect(t.ack(a, t.generation)).toBe(true);
    expect(t.committable()).toBe(25);
    expect(t.ack(c, t.generation)).toBe(true);
    expect(t.committable()).toBe(31);
    expect(t.unacked).toBe(0);
  });

  it('ignores double acks, unknown ids and acks from before a reset', () => {
    const t = new PartitionTracker();
    const a = t.track(0, 9, 10);
    const g = t.generation;
    expect(t.ack(a, g)).toBe(true);
    expect(t.ack(a, g)).toBe(false);
    expect(t.ack(a + 5, g)).toBe(false);
    const b = t.track(10, 19, 10);
    t.reset();
    expect(t.ack(b, g)).toBe(false);
    expect(t.unacked).toBe(0);
    expect(t.committable()).toBe(-1);
  });

  it('after a reset with a seek target, expects the refetch from there', () => {
    const t = new PartitionTracker();
    t.track(0, 49, 50);
    t.track(50, 99, 50);
    t.reset(50);
    expect(t.position()).toBe(50);
    expect(t.acceptsAfterSeek(100)).toBe(false); // fetched before the seek took effect
    expect(t.acceptsAfterSeek(50)).toBe(true);
    expect(t.track(50, 99, 50)).toBe(0);
    expect(t.committable()).toBe(50);
    expect(t.acceptsAfterSeek(100)).toBe(true); // no seek pending any more
    const gap = new PartitionTracker();
    gap.reset(10);
    const verdicts = Array.from({ length: 10 }, () => gap.acceptsAfterSeek(12));
    expect(verdicts.indexOf(true)).toBe(8); // a persistent gap (compaction) is accepted in the end
  });

  it('drops a batch that overlaps what was handed out', () => {
    const t = new PartitionTracker();
    t.track(0, 9, 10);
    expect(t.track(5, 14, 10)).toBe(-1);
    expect(t.track(10, 14, 5)).toBe(1);
  });

  it('never commits past an unacked record, whatever the ack order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        (sizes, picks) => {
          const t = new PartitionTracker();
          const batches: { id: number; first: number; end: number; acked: boolean }[] = [];
          let offset = 100;
          for (const n of sizes) {
            batches.push({ id: t.track(offset, offset + n - 1, n), first: offset, end: offset + n, acked: false });
            offset += n;
          }
          for (const p of picks) {
            const b = batches[p % batches.length];
            expect(t.ack(b.id, t.generation)).toBe(!b.acked);
            b.acked = true;
            const firstOpen = batches.find((x) => !x.acked);
            const expected = firstOpen === undefined ? offset : firstOpen.first;
            const c = t.committable();
            if (c !== -1) {
              expect(c).toBe(expected);
              t.markCommitted(c);
            }
            expect(t.unacked).toBe(batches.reduce((s, x) => s + (x.acked ? 0 : x.end - x.first), 0));
          }
        },
      ),
    );
  });
});
