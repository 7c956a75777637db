import { TidecastError } from '../core/errors.js';
import { Prng } from '../training/prng.js';
import type { StackedModel } from './stacked-model.js';

// The fixed random reservoir of an echo state network, seeded: input weights and biases uniform in
// ±inputScaling, recurrent weights sparse uniform, rescaled so that their spectral radius (estimated
// by power iteration) is `spectralRadius`. Below 1 (with tanh) the reservoir forgets its initial
// state: the echo state property the readout relies on. The head starts at zero (a persistence
// forecast) until the readout is fitted (esn-readout.ts).

export interface EchoStateSettings {
  /** Largest |eigenvalue| of the recurrent matrix (< 1 for the echo state property). */
  readonly spectralRadius: number;
  /** Scale of the input weights and biases. */
  readonly inputScaling: number;
  /** Fraction of recurrent weights that are zero, in [0, 1). */
  readonly sparsity: number;
}

export function initialiseEchoState(model: StackedModel, settings: EchoStateSettings, seed = model.config.seed): void {
  if (model.config.kind !== 'esn')
    throw new TidecastError(`initialiseEchoState needs an esn model, got ${model.config.kind}.`, 'config_invalid', false);
  const { spectralRadius, inputScaling, sparsity } = settings;
  if (!(spectralRadius > 0) || !(inputScaling > 0) || !(sparsity >= 0 && sparsity < 1)) {
    throw new TidecastError(
      `ESN settings out of range: spectral radius ${spectralRadius}, input scaling ${inputScaling}, sparsity ${sparsity}.`,
      'config_invalid',
      false,
    );
  }
  const rng = new Prng(seed);
  for (const cell of model.cells) {
    const [kernel, recurrent, bias] = cell.params;
    for (let i = 0; i < kernel.data.length; i++) kernel.data[i] = rng.uniform(-inputScaling, inputScaling);
    for (let i = 0; i < bias.data.length; i++) bias.data[i] = rng.uniform(-inputScaling, inputScaling);
    const u = cell.units;
    const w = new Float64Array(u * u);
    for (let i = 0; i < w.length; i++) {
      const keep = rng.next() >= sparsity;
      const v = rng.uniform(-1, 1);
      if (keep) w[i] = v;
    }
    const rho = spectralRadiusEstimate(w, u, rng);
    const s = rho > 0 ? spectralRadius / rho : 0;
    for (let i = 0; i < w.length; i++) recurrent.data[i] = w[i] * s;
  }
  model.headKernel.data.fill(0);
  model.headBias.data.fill(0);
}

/**
 * |λ_max| of the row-major n×n matrix w by power iteration: the geometric mean of the growth
 * factors ‖W·v‖ / ‖v‖ over the later iterations (which converges for a complex dominant pair too,
 * where the iterate rotates instead of settling).
 */
export function spectralRadiusEstimate(w: Float64Array, n: number, rng: Prng = new Prng(1), iterations = 300): number {
  let v = new Float64Array(n);
  let next = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  normalise(v);
  const burn = Math.floor(iterations / 3);
  let logSum = 0;
  for (let it = 0; it < iterations; it++) {
    // v is a row vector and the state update is h·W, so iterate vᵀ·W (same spectrum as W).
    next.fill(0);
    for (let i = 0; i < n; i++) {
      const vi = v[i];
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) next[j] += vi * w[i * n + j];
    }
    const norm = normalise(next);
    if (norm === 0) return 0; // nilpotent: every state dies out
    if (it >= burn) logSum += Math.log(norm);
    [v, next] = [next, v];
  }
  return Math.exp(logSum / (iterations - burn));
}

function normalise(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}
