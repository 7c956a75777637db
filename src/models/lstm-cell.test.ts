import { describe, expect, it } from 'vitest';
import { portableKernels } from './kernels/portable.js';
import { LstmCell } from './lstm-cell.js';

// A peephole LSTM step against the Gers-Schmidhuber equations evaluated by hand in float64 for
// two units and two streams (tfjs has no peephole LSTM to compare with).

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

describe('peephole LSTM step', () => {
  it('matches the hand-written equations', () => {
    const u = 2,
      n = 1,
      B = 2;
    const cell = new LstmCell(portableKernels, {
      kind: 'lstm-peephole',
      inputSize: n,
      units: u,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      unitForgetBias: true,
      resetAfter: true,
    });
    const [W, U, b, P] = cell.params.map((p) => p.data);
    W.set([0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]);
    U.set([0.05, 0.1, -0.15, 0.2, 0.25, -0.3, 0.35, 0.4, -0.45, 0.5, 0.55, -0.6, 0.65, 0.7, -0.75, 0.8]);
    b.set([0.1, 0.2, 1, 1.1, -0.1, 0.05, 0.3, -0.2]);
    P.set([0.5, -0.4, 0.3, 0.2, -0.6, 0.7]); // p_i, p_f, p_o per unit
    const x = [0.9, -1.3];
    const h0 = [0.2, -0.1, 0.4, 0.3];
    const c0 = [0.5, -0.7, -0.2, 0.6];

    const pre = new Float32Array(B * 4 * u);
    portableKernels.gemm(B, 4 * u, n, Float32Array.from(x), 0, cell.kernel, 0, pre, 0, 0);
    const h1 = new Float32Array(B * u),
      c1 = new Float32Array(B * u),
      cache = new Float32Array(B * cell.cacheWidth);
    cell.forward(portableKernels, B, pre, 0, Float32Array.from(h0), 0, Float32Array.from(c0), 0, h1, 0, c1, 0, cache, 0);

    for (let s = 0; s < B; s++) {
      for (let j = 0; j < u; j++) {
        const a = (g: number): number => {
          let v = x[s] * W[g * u + j] + b[g * u + j];
          for (let k = 0; k < u; k++) v += h0[s * u + k] * U[k * 4 * u + g * u + j];
          return v;
        };
        const cp = c0[s * u + j];
        const i = sig(a(0) + P[j] * cp);
        const f = sig(a(1) + P[u + j] * cp);
        const g = Math.tanh(a(2));
        const c = f * cp + i * g;
        const o = sig(a(3) + P[2 * u + j] * c);
        expect(c1[s * u + j]).toBeCloseTo(c, 6);
        expect(h1[s * u + j]).toBeCloseTo(o * Math.tanh(c), 6);
      }
    }
  });
});
