import { describe, expect, it } from 'vitest';
import type { LayerTape } from './cell-config.js';
import { portableKernels } from './kernels/portable.js';
import type { ModelConfig } from './stacked-model.js';
import { randomArray, randomModel } from './testing/random-model.js';

// The cells' backward with `carried`: dLoss/dh_0 (and dc_0 for the LSTM, given dLoss/dc_T from after
// the window) against central finite differences of the forward pass in the carried-in state. This is
// what lets the encoder-decoder pass its decoder's gradient back into the encoder.

const T = 4,
  B = 2;
const k = portableKernels;

const cases: ModelConfig[] = [
  { kind: 'rnn', inputSize: 2, units: 3, layers: 1, horizon: 1, outputSize: 1, seed: 11 },
  { kind: 'lstm', inputSize: 2, units: 3, layers: 1, horizon: 1, outputSize: 1, seed: 12 },
  { kind: 'lstm-peephole', inputSize: 2, units: 3, layers: 1, horizon: 1, outputSize: 1, seed: 13 },
  { kind: 'gru', inputSize: 2, units: 3, layers: 1, horizon: 1, outputSize: 1, resetAfter: true, seed: 14 },
  { kind: 'gru', inputSize: 2, units: 3, layers: 1, horizon: 1, outputSize: 1, resetAfter: false, seed: 15 },
];

describe.each(cases.map((c) => [`${c.kind}${c.resetAfter === false ? ' reset_before' : ''}`, c] as const))('%s cell', (_name, config) => {
  const cell = randomModel(config).cells[0];
  const u = cell.units;
  const hasC = cell.hasCellState;
  const x = randomArray(T * B * config.inputSize, config.seed + 1);
  const h0 = randomArray(B * u, config.seed + 2, 0.8);
  const c0 = randomArray(B * u, config.seed + 3, 0.8);
  const wH = randomArray(T * B * u, config.seed + 4); // loss = Σ wH⊙h_1..T + Σ wC⊙c_T
  const wC = randomArray(B * u, config.seed + 5);
  const h = new Float32Array((T + 1) * B * u);
  const c = new Float32Array(hasC ? (T + 1) * B * u : 0);
  const pre = new Float32Array(T * B * cell.gateWidth);
  const cache = new Float32Array(T * B * cell.cacheWidth);
  const fwd = new Float32Array(Math.max(1, cell.forwardScratchSize(B)));
  const tape: LayerTape = {
    T,
    B,
    x,
    xOff: 0,
    h,
    c,
    pre,
    cache,
    dA: new Float32Array(T * B * cell.gateWidth),
    dAr: cell.recWidth > 0 ? new Float32Array(T * B * cell.recWidth) : new Float32Array(0),
    scratch: new Float32Array(Math.max(1, cell.backwardScratchSize(B))),
  };
  const tapeFor: LayerTape = cell.recWidth > 0 ? tape : { ...tape, dAr: tape.dA };

  function loss(): number {
    h.set(h0);
    if (hasC) c.set(c0);
    k.gemm(T * B, cell.gateWidth, config.inputSize, x, 0, cell.kernel, 0, pre, 0, 0);
    const plane = B * u;
    for (let t = 0; t < T; t++) {
      const cp = hasC ? plane : 0;
      cell.forward(
        k,
        B,
        pre,
        t * B * cell.gateWidth,
        h,
        t * plane,
        c,
        t * cp,
        h,
        (t + 1) * plane,
        c,
        (t + 1) * cp,
        cache,
        t * B * cell.cacheWidth,
        fwd,
      );
    }
    let l = 0;
    for (let i = 0; i < T * plane; i++) l += wH[i] * h[plane + i];
    if (hasC) for (let i = 0; i < plane; i++) l += wC[i] * c[T * plane + i];
    return l;
  }

  it('writes dLoss/dh_0 (and dc_0) equal to central finite differences', () => {
    loss();
    const dh0 = new Float32Array(B * u).fill(99); // written, not accumulated
    const dc = hasC ? wC.slice() : null;
    cell.backward(k, tapeFor, wH.slice(), null, { dh0, dc });
    const eps = 2e-3;
    const checks: { state: Float32Array; grad: Float32Array; name: string }[] = [{ state: h0, grad: dh0, name: 'h0' }];
    if (dc !== null) checks.push({ state: c0, grad: dc, name: 'c0' });
    for (const { state, grad, name } of checks) {
      for (let i = 0; i < state.length; i++) {
        const orig = state[i];
        state[i] = orig + eps;
        const up = loss();
        state[i] = orig - eps;
        const down = loss();
        state[i] = orig;
        const fd = (up - down) / (2 * eps);
        expect(Math.abs(grad[i] - fd), `${name}[${i}]: ${grad[i]} vs ${fd}`).toBeLessThan(3e-3 + 1e-2 * Math.abs(fd));
      }
    }
    // The carried-in state matters here, so the test can fail: some gradients are far from zero.
    expect(Math.max(...Array.from(dh0, Math.abs))).toBeGreaterThan(0.05);
  });

  it('leaves the parameter gradients as without it (LSTM: with dc_T zero)', () => {
    loss();
    for (const p of cell.params) p.grad.fill(0);
    cell.backward(k, tapeFor, wH.slice(), null);
    const without = cell.params.map((p) => p.grad.slice());
    loss();
    for (const p of cell.params) p.grad.fill(0);
    cell.backward(k, tapeFor, wH.slice(), null, { dh0: new Float32Array(B * u), dc: hasC ? new Float32Array(B * u) : null });
    cell.params.forEach((p, i) => {
      expect(Array.from(p.grad)).toEqual(Array.from(without[i]));
    });
  });
});
