import { describe, expect, it } from 'vitest';
import { initialiseSeq2Seq, Seq2SeqModel } from '../models/seq2seq-model.js';
import { gaussianNllLoss } from './losses.js';
import { Prng } from './prng.js';
import { Seq2SeqRunner } from './seq2seq-runner.js';
import { fitSeq2Seq } from './seq2seq-trainer.js';

// The encoder-decoder's backward pass against central finite differences of its own forward pass
// (free running, so the gradient goes through the fed-back means, and half teacher-forced), and
// teacher forcing equal to free running when the teacher's values are the model's own outputs.

const W = 5,
  H = 4,
  B = 3;

function setup(kind: 'lstm' | 'gru', seed: number, relative = false) {
  const inputSize = relative ? 1 : 2;
  const model = new Seq2SeqModel({ kind, inputSize, units: 3, horizon: H, relative, seed });
  initialiseSeq2Seq(model);
  const rng = new Prng(seed + 10);
  // Bigger head than the init's so the feedback path carries a real gradient.
  for (const p of model.params()) for (let i = 0; i < p.data.length; i++) p.data[i] += rng.uniform(-0.4, 0.4);
  for (let i = 0; i < model.headKernel.data.length; i++) model.headKernel.data[i] *= 4;
  for (let i = 0; i < model.decoder.params[0].data.length; i++) model.decoder.params[0].data[i] *= 3;
  const inputs = Float32Array.from({ length: W * B * inputSize }, () => rng.uniform(-1, 1));
  const last = Float32Array.from({ length: B }, () => rng.uniform(-1, 1));
  const targets = Float32Array.from({ length: H * B }, () => rng.uniform(-1, 1));
  targets[4] = NaN; // a missing target is neither scored nor fed
  return { model, inputs, last, targets };
}

describe.each(['lstm', 'gru'] as const)('%s seq2seq', (kind) => {
  it.each([
    ['free running', null, false],
    ['mixed teacher forcing', Uint8Array.from({ length: H * B }, (_, i) => i % 2), false],
    ['relative, mixed teacher forcing', Uint8Array.from({ length: H * B }, (_, i) => i % 2), true],
  ] as const)('gradients match central finite differences (%s)', (_name, teacher, relative) => {
    const { model, inputs, last, targets } = setup(kind, kind === 'lstm' ? 1 : 2, relative);
    const runner = new Seq2SeqRunner(model, W, B);
    const dOut = new Float32Array(H * B * 2);
    const lossOf = () => gaussianNllLoss(runner.forward(W, B, inputs, 0, last, targets, teacher), targets, H * B, dOut);
    lossOf();
    model.zeroGrads();
    runner.backward(dOut);
    const eps = 4e-3;
    let checked = 0;
    for (const p of model.params()) {
      const analytic = p.grad.slice();
      for (let i = 0; i < p.data.length; i += Math.max(1, Math.floor(p.data.length / 9))) {
        const orig = p.data[i];
        p.data[i] = orig + eps;
        const up = lossOf();
        p.data[i] = orig - eps;
        const down = lossOf();
        p.data[i] = orig;
        const fd = (up - down) / (2 * eps);
        expect(Math.abs(analytic[i] - fd), `${p.name}[${i}]: analytic ${analytic[i]} vs fd ${fd}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("teacher forcing with the model's own outputs as teacher equals free running", () => {
    const { model, inputs, last } = setup(kind, 3);
    const runner = new Seq2SeqRunner(model, W, B);
    const free = runner.forward(W, B, inputs, 0, last).slice();
    const own = Float32Array.from({ length: H * B }, (_, i) => free[2 * i]);
    const forced = runner.forward(W, B, inputs, 0, last, own, new Uint8Array(H * B).fill(1));
    expect(Array.from(forced)).toEqual(Array.from(free));
    // ...and a different teacher changes the outputs after the first step (the test can fail).
    own[0] += 0.5;
    const other = runner.forward(W, B, inputs, 0, last, own, new Uint8Array(H * B).fill(1));
    expect(other[0]).toBe(free[0]);
    expect(other[2 * B]).not.toBe(free[2 * B]);
  });
});

it('learns a noisy sine better than persistence over the horizon (scheduled sampling)', () => {
  const steps = 600,
    streams = 4,
    period = 24;
  const rng = new Prng(5);
  const series = new Float32Array(steps * streams);
  for (let t = 0; t < steps; t++) {
    for (let s = 0; s < streams; s++) series[t * streams + s] = Math.sin((2 * Math.PI * (t + 5 * s)) / period) + 0.05 * rng.normal();
  }
  const model = new Seq2SeqModel({ kind: 'gru', inputSize: 1, units: 12, horizon: 12, seed: 7 });
  initialiseSeq2Seq(model);
  const report = fitSeq2Seq(model, series.subarray(0, 500 * streams), 500, streams, {
    window: 24,
    updates: 400,
    batch: 16,
    learningRate: 0.01,
  });
  expect(report.lastLoss).toBeLessThan(report.firstLoss);
  // Free-running forecasts from origins in the held-out tail.
  const runner = new Seq2SeqRunner(model, 24, streams);
  const inputs = new Float32Array(24 * streams),
    last = new Float32Array(streams);
  let se = 0,
    sePersist = 0;
  for (let origin = 524; origin + 12 <= steps; origin += 7) {
    for (let t = 0; t < 24; t++) for (let s = 0; s < streams; s++) inputs[t * streams + s] = series[(origin - 24 + t) * streams + s];
    for (let s = 0; s < streams; s++) last[s] = series[(origin - 1) * streams + s];
    const out = runner.forward(24, streams, inputs, 0, last);
    for (let h = 0; h < 12; h++) {
      for (let s = 0; s < streams; s++) {
        const y = series[(origin + h) * streams + s];
        se += (out[(h * streams + s) * 2] - y) ** 2;
        sePersist += (last[s] - y) ** 2;
      }
    }
  }
  expect(se).toBeLessThan(0.25 * sePersist);
});

it('stops where `stop` says (the offline fit time cap) and reports it', () => {
  const series = Float32Array.from({ length: 200 }, (_, t) => Math.sin(t / 4));
  const model = new Seq2SeqModel({ kind: 'gru', inputSize: 1, units: 4, horizon: 3, seed: 1 });
  initialiseSeq2Seq(model);
  let asked = 0;
  const report = fitSeq2Seq(model, series, 200, 1, { window: 8, updates: 50, batch: 4, stop: () => ++asked > 3 });
  expect([report.updates, report.stopped]).toEqual([3, true]);
  expect(fitSeq2Seq(model, series, 200, 1, { window: 8, updates: 5, batch: 4 }).stopped).toBeUndefined();
});
