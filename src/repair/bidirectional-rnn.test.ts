import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cellWeights } from '../models/keras-weights.js';
import { randomArray } from '../models/testing/random-model.js';
import { Prng } from '../training/prng.js';
import { BidirectionalRnn, type RepairCell } from './bidirectional-rnn.js';

// The bidirectional layer against tf.layers.bidirectional (merge_mode concat) + Dense(1) holding the
// same weights, and its analytic gradients against central finite differences of its forward pass.

const T = 9;
const B = 3;
const F = 4;

function model(cell: RepairCell, seed: number): BidirectionalRnn {
  const m = new BidirectionalRnn({ cell, inputSize: F, units: 5, seed }, T, B);
  // Random biases and dense too, so every parameter matters.
  const rng = new Prng(seed + 50);
  for (const p of m.params()) if (p.name.endsWith('bias')) for (let i = 0; i < p.data.length; i++) p.data[i] = rng.uniform(-0.5, 0.5);
  for (const p of [m.forwardModel.headKernel, m.backwardModel.headKernel])
    for (let i = 0; i < p.data.length; i++) p.data[i] = rng.uniform(-0.8, 0.8);
  return m;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(['gru', 'lstm'] as const)('bidirectional %s', (cell) => {
  it('matches tf.layers.bidirectional + Dense(1) on the forward pass', () => {
    const m = model(cell, 3);
    const x = randomArray(T * B * F, 7);
    const ours = Float32Array.from(m.forward(T, B, x));
    const inner =
      cell === 'gru'
        ? tf.layers.gru({ units: 5, returnSequences: true, recurrentActivation: 'sigmoid' })
        : tf.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: 'sigmoid' });
    const bi = tf.layers.bidirectional({ layer: inner, mergeMode: 'concat' });
    const dense = tf.layers.dense({ units: 1 });
    const seq = tf.tensor3d(x, [T, B, F]).transpose([1, 0, 2]) as tf.Tensor3D;
    dense.apply(bi.apply(seq) as tf.Tensor);
    const keras = (s: typeof m.forwardModel) => cellWeights(s.cells[0]).map((w) => tf.tensor(w.data, [...w.shape]));
    bi.setWeights([...keras(m.forwardModel), ...keras(m.backwardModel)]);
    const d = m.kerasDense();
    dense.setWeights([tf.tensor(d.kernel, [10, 1]), tf.tensor(d.bias, [1])]);
    const ref = (dense.apply(bi.apply(seq) as tf.Tensor) as tf.Tensor).transpose([1, 0, 2]).dataSync();
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]));
    expect(worst).toBeLessThan(1e-5);
    // Bidirectional: the first step's output depends on the last step's input.
    const x2 = x.slice();
    for (let j = 0; j < F; j++) x2[(T - 1) * B * F + j] += 3;
    expect(Math.abs(m.forward(T, B, x2)[0] - ours[0])).toBeGreaterThan(1e-5);
  });

  it('has analytic gradients equal to central finite differences (masked MSE)', () => {
    const m = model(cell, 5);
    const x = randomArray(T * B * F, 11);
    const y = randomArray(T * B, 12);
    for (let i = 0; i < y.length; i += 3) y[i] = NaN; // unscored steps
    const loss = (): number => {
      const out = m.forward(T, B, x);
      let s = 0,
        n = 0;
      for (let i = 0; i < out.length; i++)
        if (!Number.isNaN(y[i])) {
          s += (out[i] - y[i]) ** 2;
          n++;
        }
      return s / n;
    };
    const out = m.forward(T, B, x);
    const n = y.filter((v) => !Number.isNaN(v)).length;
    const dOut = new Float32Array(T * B);
    for (let i = 0; i < out.length; i++) dOut[i] = Number.isNaN(y[i]) ? 0 : (2 * (out[i] - y[i])) / n;
    m.zeroGrads();
    m.backward(dOut);
    const eps = 1e-2;
    let checked = 0;
    for (const p of m.params()) {
      for (let i = 0; i < p.data.length; i += Math.max(1, Math.floor(p.data.length / 6))) {
        // The head's log-variance columns are not used: their gradient must be exactly 0.
        const old = p.data[i];
        p.data[i] = old + eps;
        const up = loss();
        p.data[i] = old - eps;
        const down = loss();
        p.data[i] = old;
        const numeric = (up - down) / (2 * eps);
        expect(Math.abs(p.grad[i] - numeric)).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(m.backwardModel.headBias.grad[0]).toBe(0);
  });
});
