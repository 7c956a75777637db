import { describe, expect, it } from 'vitest';
import { StateCuts } from './state-cuts.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup() {
  const events: string[] = [];
  let version = 0;
  const flushes: ReturnType<typeof deferred>[] = [];
  const failures: unknown[] = [];
  const cuts = new StateCuts<string>({
    exportState: (key) => {
      events.push(`export ${key}@${version}`);
      return Uint8Array.of(version);
    },
    changelog: {
      put: (key, partition, value, offset) => events.push(`put ${key} p${partition} v${value[0]} o${offset}`),
      flush: () => {
        events.push('flush');
        const d = deferred();
        flushes.push(d);
        return d.promise;
      },
    },
    ack: (b) => events.push(`ack ${b}`),
    fail: (e) => failures.push(e),
    intervalMs: 1_000_000,
  });
  return { cuts, events, flushes, failures, step: () => version++ };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('StateCuts', () => {
  it('exports each stream once per cut, writes after the outputs are durable, acks in order after the flush', async () => {
    const { cuts, events, flushes, step } = setup();
    const out1 = deferred();
    const out2 = deferred();
    step();
    cuts.add(
      'b1',
      [
        ['s1', { partition: 0, offset: 10 }],
        ['s2', { partition: 1, offset: 11 }],
      ],
      out1.promise,
    );
    step();
    cuts.add('b2', [['s1', { partition: 0, offset: 12 }]], out2.promise);
    const drained = cuts.drain();
    // The states are taken at the cut (version 2 includes both batches), s1 once, with its latest offset.
    expect(events).toEqual(['export s1@2', 'export s2@2']);
    out2.resolve();
    await tick();
    expect(events).toHaveLength(2); // b1's outputs are not durable yet: nothing is written
    out1.resolve();
    await tick();
    expect(events.slice(2)).toEqual(['put s1 p0 v2 o12', 'put s2 p1 v2 o11', 'flush']);
    flushes[0].resolve();
    await drained;
    expect(events.slice(5)).toEqual(['ack b1', 'ack b2']);
  });

  it('acks nothing once a write failed', async () => {
    const { cuts, events, failures } = setup();
    const out = deferred();
    cuts.add('b1', [['s1', { partition: 0, offset: 1 }]], out.promise);
    const drained = cuts.drain();
    out.reject(new Error('broker down'));
    await drained;
    const out2 = deferred();
    out2.resolve();
    cuts.add('b2', [['s1', { partition: 0, offset: 2 }]], out2.promise);
    await cuts.drain();
    expect(failures).toHaveLength(1);
    expect(events.filter((e) => e.startsWith('ack') || e === 'flush')).toEqual([]);
  });
});
