import { describe, expect, it } from 'vitest';
import { Prng } from '../training/prng.js';
import { BatchedStepper } from './batched-stepper.js';
import { initialiseEchoState, spectralRadiusEstimate } from './esn-init.js';
import { fitEsnReadout } from './esn-readout.js';
import { StackedModel } from './stacked-model.js';
import { StateArena } from './state-arena.js';
import { fromArtifacts, toTfjs } from './tfjs-format.js';

const SETTINGS = { spectralRadius: 0.9, inputScaling: 0.5, sparsity: 0.8 };

function esn(units: number, inputSize: number, horizon: number, leakRate: number, seed = 3, settings = SETTINGS): StackedModel {
  const m = new StackedModel({ kind: 'esn', inputSize, units, layers: 1, horizon, outputSize: 1, leakRate, seed });
  initialiseEchoState(m, settings);
  return m;
}

/** Steps two slots from the given states on the same inputs; returns max |h_a − h_b| after each step. */
function distances(m: StackedModel, a: Float32Array, b: Float32Array, inputs: Float64Array): number[] {
  const arena = new StateArena(m.stateSize, 2);
  const slots = new Int32Array([arena.slotOf('a'), arena.slotOf('b')]);
  arena.data.set(a, slots[0] * m.stateSize);
  arena.data.set(b, slots[1] * m.stateSize);
  const stepper = new BatchedStepper(m, arena, 2);
  const x = new Float32Array(2 * m.config.inputSize);
  const out = new Float32Array(2 * m.outputWidth);
  const d: number[] = [];
  for (const v of inputs) {
    x.fill(v);
    stepper.step(slots, 2, x, out);
    let worst = 0;
    for (let j = 0; j < m.stateSize; j++)
      worst = Math.max(worst, Math.abs(arena.data[slots[0] * m.stateSize + j] - arena.data[slots[1] * m.stateSize + j]));
    d.push(worst);
  }
  return d;
}

describe('echo state network', () => {
  it('estimates spectral radii by power iteration (real and complex dominant eigenvalues)', () => {
    const diag = new Float64Array([0.5, 0, 0, 0, -0.9, 0, 0, 0, 0.3]);
    expect(spectralRadiusEstimate(diag, 3)).toBeCloseTo(0.9, 3);
    const c = 0.7 * Math.cos(1),
      s = 0.7 * Math.sin(1);
    const rotation = new Float64Array([c, -s, 0, s, c, 0, 0, 0, 0.2]); // eigenvalues 0.7·e^{±i}, 0.2
    expect(spectralRadiusEstimate(rotation, 3)).toBeCloseTo(0.7, 3);
    const m = esn(40, 1, 1, 1);
    const w = Float64Array.from(m.cells[0].params[1].data);
    expect(spectralRadiusEstimate(w, 40, new Prng(99), 2000)).toBeCloseTo(0.9, 2);
    const zeros = w.filter((v) => v === 0).length / w.length;
    expect(zeros).toBeGreaterThan(0.7);
    expect(zeros).toBeLessThan(0.9);
  });

  it('forgets its initial state: two different states converge under the same input (echo state property)', () => {
    const rng = new Prng(5);
    const inputs = Float64Array.from({ length: 300 }, (_, t) => Math.sin(t / 5) + 0.3 * rng.normal());
    for (const leak of [1, 0.3]) {
      const m = esn(50, 1, 1, leak);
      const a = Float32Array.from({ length: 50 }, () => rng.uniform(-1, 1));
      const b = Float32Array.from({ length: 50 }, () => rng.uniform(-1, 1));
      const d = distances(m, a, b, inputs);
      expect(d[0]).toBeGreaterThan(0.1);
      expect(d[d.length - 1]).toBeLessThan(1e-5);
    }
  });

  it('a reservoir far above spectral radius 1 keeps its initial state apart (the property is not automatic)', () => {
    const rng = new Prng(6);
    const inputs = Float64Array.from({ length: 300 }, () => 0.01 * rng.normal());
    const m = esn(50, 1, 1, 1, 3, { spectralRadius: 4, inputScaling: 0.01, sparsity: 0.8 });
    const a = Float32Array.from({ length: 50 }, () => rng.uniform(-1, 1));
    const b = Float32Array.from({ length: 50 }, () => rng.uniform(-1, 1));
    const d = distances(m, a, b, inputs);
    expect(d[d.length - 1]).toBeGreaterThan(0.1);
  });

  it('steps a batch of streams exactly as it steps each stream alone', () => {
    const m = esn(24, 3, 2, 0.5);
    const S = 5,
      T = 40;
    const rng = new Prng(7);
    const inputs = Float32Array.from({ length: T * S * 3 }, () => rng.normal());
    const batched = new StateArena(m.stateSize, S);
    const slots = Int32Array.from({ length: S }, (_, s) => batched.slotOf(`s${s}`));
    const stepper = new BatchedStepper(m, batched, S);
    const out = new Float32Array(S * m.outputWidth);
    const single = Array.from({ length: S }, () => new StateArena(m.stateSize, 1));
    const singleSlots = single.map((a) => new Int32Array([a.slotOf('x')]));
    const singleSteppers = single.map((a) => new BatchedStepper(m, a, 1));
    const one = new Float32Array(m.outputWidth);
    for (let t = 0; t < T; t++) {
      stepper.step(slots, S, inputs.subarray(t * S * 3, (t + 1) * S * 3), out);
      for (let s = 0; s < S; s++) singleSteppers[s].step(singleSlots[s], 1, inputs.subarray((t * S + s) * 3, (t * S + s + 1) * 3), one);
    }
    for (let s = 0; s < S; s++) {
      expect(Array.from(batched.data.subarray(slots[s] * m.stateSize, (slots[s] + 1) * m.stateSize))).toEqual(
        Array.from(single[s].data.subarray(0, m.stateSize)),
      );
    }
  });

  it('fits the readout to the closed-form ridge solution (targets with gaps)', () => {
    const units = 10,
      H = 2,
      S = 3,
      T = 150,
      washout = 10,
      ridge = 0.05;
    const m = esn(units, 1, H, 0.6);
    const rng = new Prng(11);
    const series = Array.from({ length: S }, (_, s) =>
      Float64Array.from({ length: T + H }, (_, t) => Math.sin((t + 7 * s) / 4) + 0.1 * rng.normal()),
    );
    const inputs = new Float32Array(T * S);
    const targets = new Float32Array(T * S * H);
    for (let t = 0; t < T; t++) {
      for (let s = 0; s < S; s++) {
        inputs[t * S + s] = series[s][t];
        for (let h = 0; h < H; h++) targets[(t * S + s) * H + h] = (t + s) % 13 === h ? NaN : series[s][t + h + 1] - series[s][t];
      }
    }
    const report = fitEsnReadout(m, { steps: T, batch: S, inputs, targets }, { ridge, washout });
    expect(report.trainMse).toBeLessThan(0.5 * report.zeroMse);
    // Reference: states by stepping each stream alone, then (ΦᵀΦ + λ·m·D)⁻¹Φᵀy by Gauss-Jordan.
    const states: number[][] = [];
    const ys: number[][] = [];
    for (let s = 0; s < S; s++) {
      const arena = new StateArena(m.stateSize, 1);
      const slot = new Int32Array([arena.slotOf('x')]);
      const stepper = new BatchedStepper(m, arena, 1);
      const out = new Float32Array(m.outputWidth);
      for (let t = 0; t < T; t++) {
        stepper.step(slot, 1, new Float32Array([series[s][t]]), out);
        if (t < washout) continue;
        states.push([...Array.from(arena.data.subarray(0, units)), 1]);
        ys.push(Array.from(targets.subarray((t * S + s) * H, (t * S + s + 1) * H)));
      }
    }
    for (let h = 0; h < H; h++) {
      const rows = states.filter((_, r) => Number.isFinite(ys[r][h]));
      const y = ys.filter((r) => Number.isFinite(r[h])).map((r) => r[h]);
      const d = units + 1;
      const a = Array.from({ length: d }, (_, i) =>
        Array.from(
          { length: d },
          (_, j) => rows.reduce((acc, r) => acc + r[i] * r[j], 0) + (i === j && i < units ? ridge * rows.length : 0),
        ),
      );
      const b = Array.from({ length: d }, (_, i) => rows.reduce((acc, r, k) => acc + r[i] * y[k], 0));
      const w = gaussJordan(a, b);
      const got = [...Array.from({ length: units }, (_, j) => m.headKernel.data[j * m.outputWidth + 2 * h]), m.headBias.data[2 * h]];
      for (let j = 0; j < d; j++) expect(got[j]).toBeCloseTo(w[j], 4);
    }
  });

  it('saves and loads in the tfjs-layers format with its leak rate (model files, tidecast train)', () => {
    const m = esn(12, 2, 3, 0.4);
    m.headKernel.data.forEach((_, i) => {
      m.headKernel.data[i] = Math.sin(i);
    });
    const { modelJson, weightData } = toTfjs(m);
    const back = fromArtifacts(
      modelJson.modelTopology,
      modelJson.weightsManifest.flatMap((g) => g.weights),
      weightData,
      modelJson.userDefinedMetadata,
    );
    expect([back.config.kind, back.config.leakRate, back.config.horizon]).toEqual(['esn', 0.4, 3]);
    const x = Float32Array.from({ length: 20 }, (_, i) => Math.cos(i));
    const run = (model: StackedModel) => {
      const arena = new StateArena(model.stateSize, 1);
      const slot = new Int32Array([arena.slotOf('x')]);
      const stepper = new BatchedStepper(model, arena, 1);
      const out = new Float32Array(model.outputWidth);
      for (let t = 0; t < 10; t++) stepper.step(slot, 1, x.subarray(2 * t, 2 * t + 2), out);
      return Array.from(out);
    };
    expect(run(back)).toEqual(run(m));
  });

  it('refuses backpropagation through the fixed reservoir', () => {
    const m = esn(4, 1, 1, 1);
    expect(() => m.cells[0].backward(m.kernels, {} as never, new Float32Array(0), null)).toThrow(/fixed/);
  });
});

function gaussJordan(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}
