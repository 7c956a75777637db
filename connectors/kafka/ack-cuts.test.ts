import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckCuts } from './ack-cuts.js';
import { noStages } from './stage-latency.js';
import type { CapturedState } from './stream-states.js';
import type { SourceBatch } from './types.js';

// The daemon's cut-based acks against stand-ins: a state store whose streams hold a version number (bumped
// by every step), and batches that record their acks. What a cut writes, when it acks, and what an undo
// redelivers are checked; the real store and changelog are exercised by the kafka-daemon-* integration tests.

const INTERVAL = 200;

class Store {
  readonly version = new Map<string, number>();
  readonly written: { key: string; version: number }[] = [];
  captures = 0;
  rolledBack: string[] = [];
  failNextWrite = false;
  /** When set, writes wait until it is called. */
  hold: Promise<void> | undefined;
  step(keys: readonly string[]): void {
    for (const k of keys) this.version.set(k, (this.version.get(k) ?? 0) + 1);
  }
  capture(touched: Iterable<string>, into: CapturedState[]): void {
    for (const key of touched) {
      this.captures++;
      into.push({ key, partition: 0, offset: this.version.get(key) ?? -1, value: new Uint8Array(0) });
    }
  }
  async persistCaptured(states: readonly CapturedState[]): Promise<boolean> {
    if (this.failNextWrite) {
      this.failNextWrite = false;
      throw new Error('changelog write failed');
    }
    if (this.hold !== undefined) await this.hold;
    for (const s of states) this.written.push({ key: s.key, version: s.offset });
    return true;
  }
  async rollback(touched: ReadonlySet<string>): Promise<void> {
    this.rolledBack.push(...[...touched].sort());
  }
}

function batch(name: string, log: string[], stale = () => false): SourceBatch {
  return { records: [], stale, ack: (outcome) => log.push(`${outcome} ${name}`) };
}

let store: Store;
let log: string[];
let cuts: AckCuts;
beforeEach(() => {
  vi.useFakeTimers();
  store = new Store();
  log = [];
  cuts = new AckCuts({ states: store, intervalMs: INTERVAL, stages: noStages, signal: new AbortController().signal, onError: () => {} });
});
afterEach(() => vi.useRealTimers());

/** Registers a group of one batch over `keys` and steps it. */
function stepGroup(name: string, keys: string[], stale?: () => boolean) {
  const e = cuts.add({ batches: [batch(name, log, stale)], touched: [new Set(keys)] });
  store.step(keys);
  return e;
}

describe('AckCuts', () => {
  it('writes each stream once per cut, as of the cut, and acks only after every group of it is durable', async () => {
    const g1 = stepGroup('g1', ['a', 'b']);
    const g2 = stepGroup('g2', ['a']);
    cuts.durable(g2);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(log).toEqual([]); // g1's outputs are not durable yet
    expect(store.written).toEqual([]);
    cuts.durable(g1);
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['done g1', 'done g2']);
    // One capture per stream for both groups: a at version 2 (both groups' steps), b at 1.
    expect(store.written).toEqual([
      { key: 'a', version: 2 },
      { key: 'b', version: 1 },
    ]);
    expect(store.captures).toBe(2);
  });

  it('does not write into a cut a group stepped after it', async () => {
    const g1 = stepGroup('g1', ['a']);
    await vi.advanceTimersByTimeAsync(INTERVAL); // the cut takes a at version 1
    const g2 = stepGroup('g2', ['a']);
    cuts.durable(g1);
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['done g1']);
    expect(store.written).toEqual([{ key: 'a', version: 1 }]);
    cuts.durable(g2);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(log).toEqual(['done g1', 'done g2']);
    expect(store.written.at(-1)).toEqual({ key: 'a', version: 2 });
  });

  it('undoes every unacked group when an output write fails: redelivered, streams rolled back, nothing written', async () => {
    const g1 = stepGroup('g1', ['a']);
    stepGroup('g2', ['b']);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    const g3 = stepGroup('g3', ['c']);
    await cuts.retry(g1);
    expect(log).toEqual(['retry g1', 'retry g2', 'retry g3']);
    expect(store.rolledBack).toEqual(['a', 'b', 'c']);
    cuts.durable(g3);
    await vi.advanceTimersByTimeAsync(2 * INTERVAL);
    expect(store.written).toEqual([]);
    // Undone already: a second retry of one of them undoes nothing more.
    await cuts.retry(g1);
    expect(cuts.undos).toBe(1);
  });

  it('undoes the cut when its changelog write fails, and acks nothing of it', async () => {
    store.failNextWrite = true;
    const g1 = stepGroup('g1', ['a']);
    cuts.durable(g1);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(log).toEqual(['retry g1']);
    expect(store.rolledBack).toEqual(['a']);
  });

  it('acks the rest of a cut when one of its groups was dropped unstepped (stale)', async () => {
    const g1 = stepGroup('g1', ['a']);
    const g2 = cuts.add({ batches: [batch('g2', log, () => true)], touched: [new Set(['b'])] });
    cuts.dropped(g2);
    cuts.durable(g1);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(log).toEqual(['done g1']);
  });

  it('writes one cut at a time: while the changelog is slow the next cut waits and takes every group since', async () => {
    let release: () => void = () => {};
    store.hold = new Promise((r) => (release = r));
    const g1 = stepGroup('g1', ['a']);
    cuts.durable(g1);
    await vi.advanceTimersByTimeAsync(INTERVAL); // cut 1 takes a at version 1; its write hangs
    for (const name of ['g2', 'g3']) {
      cuts.durable(stepGroup(name, ['a']));
      await vi.advanceTimersByTimeAsync(INTERVAL);
    }
    expect(store.captures).toBe(1);
    store.hold = undefined;
    release();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    // Cut 2 took a once, with both later groups in it.
    expect(store.captures).toBe(2);
    expect(store.written).toEqual([
      { key: 'a', version: 1 },
      { key: 'a', version: 3 },
    ]);
    expect(log).toEqual(['done g1', 'done g2', 'done g3']);
    expect(cuts.cuts).toBe(2);
  });
});
