import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from './replay-buffer.js';
import { rewarmRows, rewarmStates, warmStates } from './rewarm.js';
import { testRunner } from './testing-live.js';

describe('rewarmStates', () => {
  it('continues from the worker seed over the steps since, equal to a full run from zero', () => {
    const runner = testRunner(6, 5);
    const model = runner.model;
    model.headKernel.data.fill(0.1);
    const W = 8;
    const buffer = new ReplayBuffer({ inputSize: 1, horizon: 1, capacity: 32, maxStreams: 8 });
    const x = new Float32Array(1);
    const push = (key: string, k: number): void => {
      x[0] = Math.sin(k / 3 + key.length);
      buffer.push(key, k, x, 0, x[0], 0, 1, false, false, 0);
    };
    for (const key of ['a', 'bb']) runner.slotOf(key);
    runner.slotOf('unbuffered');
    const unbufferedState = runner.arena.data
      .slice(runner.arena.peek('unbuffered') * model.stateSize, (runner.arena.peek('unbuffered') + 1) * model.stateSize)
      .fill(0.5);
    runner.arena.data.set(unbufferedState, runner.arena.peek('unbuffered') * model.stateSize);
    for (let k = 0; k < 20; k++) {
      push('a', k);
      push('bb', k);
    }
    // The worker's part, as of now.
    const rows = rewarmRows(buffer, W);
    const seed = { keys: rows.keys, counts: rows.counts, states: warmStates(model, rows.keys.length, W, rows.inputs, rows.steps) };
    // Three more steps of 'a' happen before the swap; 'bb' makes none.
    for (let k = 20; k < 23; k++) push('a', k);
    const report = rewarmStates(model, buffer, runner.arena, W, seed);
    expect(report).toEqual({ streams: 2, seeded: 2, kept: 1, rounds: 3 });
    // Reference: the last W + 3 rows of 'a' from the zero state, the last W of 'bb'.
    const longRows = rewarmRows(buffer, W + 3);
    const ref = warmStates(model, 2, W + 3, longRows.inputs, [W + 3, W]);
    const S = model.stateSize;
    for (const [s, key] of ['a', 'bb'].entries()) {
      const got = runner.arena.data.subarray(runner.arena.peek(key) * S, (runner.arena.peek(key) + 1) * S);
      const want = ref.subarray(s * S, (s + 1) * S);
      for (let j = 0; j < S; j++) expect(got[j]).toBeCloseTo(want[j], 6);
    }
    expect([...runner.arena.data.subarray(runner.arena.peek('unbuffered') * S, (runner.arena.peek('unbuffered') + 1) * S)]).toEqual([
      ...unbufferedState,
    ]);
    // Without a seed (or too far behind it), the last W rows from zero.
    const again = rewarmStates(model, buffer, runner.arena, W);
    expect(again).toEqual({ streams: 2, seeded: 0, kept: 1, rounds: W });
  });
});
