import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from './replay-buffer.js';
import { RetrainSchedule } from './retrain-schedule.js';

const x = new Float32Array(1);

function push(
  b: ReplayBuffer,
  key: string,
  t: number,
  v: number,
  opts: { mean?: number; std?: number; imputed?: boolean; pred?: number } = {},
): number {
  x[0] = v;
  return b.push(key, t, x, 0, v, opts.mean ?? 0, opts.std ?? 1, opts.imputed ?? false, false, opts.pred ?? 0);
}

describe('ReplayBuffer', () => {
  it('keeps the last `capacity` steps and builds the engine targets from them', () => {
    const b = new ReplayBuffer({ inputSize: 1, horizon: 2, capacity: 5, maxStreams: 4 });
    for (let k = 0; k < 8; k++) push(b, 'a', k * 10, k * k, { mean: 1, std: 20 });
    const w = b.sample(10, 4, 1, 1)!;
    expect(w.steps).toBe(5);
    expect([...w.inputs]).toEqual([9, 16, 25, 36, 49]);
    // target h at step k: (v[k+h] - mean_k)/std_k - (v[k] - mean_k)/std_k = (v[k+h] - v[k]) / 20
    expect(w.targets[0]).toBeCloseTo((16 - 9) / 20, 6);
    expect(w.targets[1]).toBeCloseTo((25 - 9) / 20, 6);
    expect(w.targets[3 * 2]).toBeCloseTo((49 - 36) / 20, 6);
    expect(w.targets[3 * 2 + 1]).toBeNaN();
    expect([w.from, w.to]).toEqual([30, 70]);
  });

  it('stops targets at an imputed step and scores the previous one-step forecast', () => {
    const b = new ReplayBuffer({ inputSize: 1, horizon: 1, capacity: 8, maxStreams: 4 });
    expect(push(b, 'a', 0, 1, { pred: 0.5 })).toBeNaN();
    expect(push(b, 'a', 1, 2)).toBeCloseTo((1 - 0.5) ** 2);
    expect(push(b, 'a', 2, 5, { imputed: true })).toBeNaN();
    const w = b.sample(8, 1, 1, 1)!;
    expect(w.targets[0]).toBe(1);
    expect(w.targets[1]).toBeNaN();
  });

  it('samples streams fairly whatever their rates, aligns them at the end, counts what it drops', () => {
    const b = new ReplayBuffer({ inputSize: 1, horizon: 1, capacity: 16, maxStreams: 3 });
    for (let k = 0; k < 16; k++) push(b, 'busy', k, k);
    for (let k = 0; k < 4; k++) push(b, 'quiet', k, 100 + k);
    push(b, 'c', 0, 7);
    push(b, 'overflow', 0, 1);
    x[0] = NaN;
    b.push('busy', 99, x, 0, NaN, 0, 1, false, false, 0);
    expect(b.dropped).toBe(2);
    const picks = new Map<string, number>();
    for (let seed = 1; seed <= 300; seed++) for (const k of b.sample(16, 1, 1, seed)!.streams) picks.set(k, (picks.get(k) ?? 0) + 1);
    for (const k of ['busy', 'quiet', 'c']) expect(picks.get(k)).toBeGreaterThan(70);
    const w = b.sample(16, 3, 4, 1)!;
    expect(w.streams).toEqual(['busy', 'quiet']);
    // quiet's 4 steps sit at the end of the window, padded before with zeros and no targets.
    expect(w.inputs[12 * 2 + 1]).toBe(100);
    expect(w.inputs[11 * 2 + 1]).toBe(0);
    expect(w.targets[11 * 2 + 1]).toBeNaN();
  });
});

describe('RetrainSchedule', () => {
  it('fires on steps, on time and on drift over the post-promotion level', () => {
    const s = new RetrainSchedule({ everyMs: 1000, everySteps: 10, driftFactor: 3, baselineSteps: 5, errorAlpha: 0.5 }, 0);
    for (let i = 0; i < 9; i++) s.observeStep(1);
    expect(s.due(500)).toBeUndefined();
    s.observeStep(1);
    expect(s.due(500)).toBe('steps');
    s.started(500);
    expect(s.due(1499)).toBeUndefined();
    expect(s.due(1500)).toBe('interval');
    s.started(1500);
    expect(s.baseline).toBe(1);
    for (let i = 0; i < 3; i++) s.observeStep(4); // rolling error 1 → 2.5 → 3.25 → 3.6
    expect(s.due(1600)).toBeUndefined(); // over the factor, but within baselineSteps of the last run
    for (let i = 0; i < 2; i++) s.observeStep(4);
    expect(s.due(1600)).toBe('drift');
    s.promoted();
    expect(s.due(1600)).toBeUndefined();
  });
});
