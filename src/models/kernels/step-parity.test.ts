import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FastCellKind, FastStepSpec, FastStepper } from './step-layout.js';
import { createWasmStepper } from './step-wasm.js';
import { randomFloats, seededRandom } from './test-random.js';
import { randomSpec } from './test-specs.js';

// Model parity: the WASM stepper run for 100 steps on 3 streams against @tensorflow/tfjs layers
// (cpu backend, float32) with the same Keras-layout weights. tfjs has no GRU reset_after and no
// peephole LSTM; those two go against a float64 transcription of the Keras equations instead.

const T = 100,
  B = 3,
  IN = 5,
  OUT = 2,
  UNITS = [16, 12];

function runStepper(s: FastStepper & { arena: Float32Array }, x: Float32Array): Float32Array {
  const y = new Float32Array(B * T * OUT);
  const slots = Int32Array.from({ length: B }, (_, i) => i);
  const xt = new Float32Array(B * IN),
    out = new Float32Array(B * OUT);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) for (let i = 0; i < IN; i++) xt[b * IN + i] = x[(b * T + t) * IN + i];
    s.step(slots, B, xt, s.arena, out);
    for (let b = 0; b < B; b++) for (let o = 0; o < OUT; o++) y[(b * T + t) * OUT + o] = out[b * OUT + o];
  }
  return y;
}

function tfjsModel(spec: FastStepSpec): tf.LayersModel {
  const m = tf.sequential();
  spec.layers.forEach((l, i) => {
    const common = { units: l.units, returnSequences: true, ...(i === 0 ? { inputShape: [T, IN] } : {}) };
    const layer =
      spec.kind === 'lstm'
        ? tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid' })
        : spec.kind === 'gru'
          ? tf.layers.gru({ ...common, recurrentActivation: 'sigmoid' })
          : tf.layers.simpleRNN(common);
    m.add(layer);
  });
  m.add(tf.layers.dense({ units: OUT }));
  spec.layers.forEach((l, i) => {
    const g = l.kernel.length / (i === 0 ? IN : spec.layers[i - 1].units) / l.units;
    m.layers[i].setWeights([
      tf.tensor2d(l.kernel, [i === 0 ? IN : spec.layers[i - 1].units, g * l.units]),
      tf.tensor2d(l.recurrentKernel, [l.units, g * l.units]),
      tf.tensor1d(l.bias),
    ]);
  });
  const last = spec.layers[spec.layers.length - 1].units;
  m.layers[spec.layers.length].setWeights([tf.tensor2d(spec.head!.kernel, [last, OUT]), tf.tensor1d(spec.head!.bias)]);
  return m;
}

const sig = (v: number): number => 1 / (1 + Math.exp(-v));

/** Float64 Keras equations for one stream (GRU reset_after and peephole LSTM). */
function float64Reference(spec: FastStepSpec, x: Float32Array, b: number, y: Float64Array): void {
  const st = spec.layers.map((l) => ({ h: new Float64Array(l.units), c: new Float64Array(l.units) }));
  for (let t = 0; t < T; t++) {
    let input: ArrayLike<number> = x.subarray((b * T + t) * IN, (b * T + t + 1) * IN);
    spec.layers.forEach((l, li) => {
      const u = l.units,
        n = input.length,
        G = spec.kind === 'gru' ? 3 : 4;
      const xw = new Float64Array(G * u),
        hr = new Float64Array(G * u);
      for (let j = 0; j < G * u; j++) {
        for (let p = 0; p < n; p++) xw[j] += input[p] * l.kernel[p * G * u + j];
        for (let p = 0; p < u; p++) hr[j] += st[li].h[p] * l.recurrentKernel[p * G * u + j];
      }
      const { h, c } = st[li];
      const hn = new Float64Array(u);
      for (let j = 0; j < u; j++) {
        if (spec.kind === 'gru') {
          const z = sig(xw[j] + l.bias[j] + hr[j] + l.bias[3 * u + j]);
          const r = sig(xw[u + j] + l.bias[u + j] + hr[u + j] + l.bias[4 * u + j]);
          const hh = Math.tanh(xw[2 * u + j] + l.bias[2 * u + j] + r * (hr[2 * u + j] + l.bias[5 * u + j]));
          hn[j] = z * h[j] + (1 - z) * hh;
        } else {
          const p = l.peephole!;
          const a = (g: number): number => xw[g * u + j] + hr[g * u + j] + l.bias[g * u + j];
          const i = sig(a(0) + p[j] * c[j]),
            f = sig(a(1) + p[u + j] * c[j]);
          c[j] = f * c[j] + i * Math.tanh(a(2));
          hn[j] = sig(a(3) + p[2 * u + j] * c[j]) * Math.tanh(c[j]);
        }
      }
      h.set(hn);
      input = h;
    });
    for (let o = 0; o < OUT; o++) {
      let s = spec.head!.bias[o];
      for (let p = 0; p < input.length; p++) s += input[p] * spec.head!.kernel[p * OUT + o];
      y[(b * T + t) * OUT + o] = s;
    }
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('fused stepper parity with tfjs layers over 100 steps', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const kind of ['lstm', 'gru', 'rnn'] as FastCellKind[]) {
    it(`${kind}${kind === 'gru' ? ' reset_before' : ''}: 2 layers + dense head within 1e-5 of tfjs`, () => {
      const rand = seededRandom(kind.length * 101);
      const spec = randomSpec(rand, kind, IN, UNITS, OUT, false, 0.4);
      const x = randomFloats(rand, B * T * IN, 1.5);
      const expected = tf.tidy(() => (tfjsModel(spec).predict(tf.tensor3d(x, [B, T, IN])) as tf.Tensor).dataSync());
      const actual = runStepper(createWasmStepper(spec, B, { arenaSlots: B }), x);
      expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5);
      expect(maxAbsDiff(expected, new Float32Array(expected.length))).toBeGreaterThan(0.05);
    });
  }

  for (const kind of ['gru', 'lstm-peephole'] as FastCellKind[]) {
    it(`${kind}${kind === 'gru' ? ' reset_after' : ''}: within 1e-5 of the float64 Keras equations`, () => {
      const rand = seededRandom(kind.length * 7);
      const spec = randomSpec(rand, kind, IN, UNITS, OUT, true, 0.4);
      const x = randomFloats(rand, B * T * IN, 1.5);
      const expected = new Float64Array(B * T * OUT);
      for (let b = 0; b < B; b++) float64Reference(spec, x, b, expected);
      const actual = runStepper(createWasmStepper(spec, B, { arenaSlots: B }), x);
      expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5);
      expect(maxAbsDiff(expected, new Float64Array(expected.length))).toBeGreaterThan(0.05);
    });
  }
});
