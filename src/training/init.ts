import type { StackedModel } from '../models/stacked-model.js';
import { cellWeights, setCellWeights, type NamedWeight } from '../models/keras-weights.js';
import { Prng } from './prng.js';

// Keras defaults, seeded: Glorot-uniform input kernels and head, orthogonal recurrent kernels,
// zero biases (LSTM forget gate 1 with unitForgetBias), Glorot-uniform peepholes.

export function initialiseWeights(model: StackedModel, seed = model.config.seed): void {
  const rng = new Prng(seed);
  model.cells.forEach((cell, l) => {
    const weights = new Map<string, NamedWeight>();
    for (const w of cellWeights(cell)) {
      const data = new Float32Array(w.data.length);
      if (w.name === 'kernel') glorotUniform(rng, data, w.shape[0], w.shape[1]);
      else if (w.name === 'recurrent_kernel') orthogonal(rng, data, w.shape[0], w.shape[1]);
      else if (w.name.endsWith('peephole_weights')) glorotUniform(rng, data, w.shape[0], w.shape[0]);
      else if (w.name === 'bias' && cell.config.kind.startsWith('lstm') && cell.config.unitForgetBias) {
        data.fill(1, cell.units, 2 * cell.units);
      }
      weights.set(w.name, { ...w, data });
    }
    setCellWeights(cell, weights, `layer ${l}`);
  });
  glorotUniform(rng, model.headKernel.data, model.headKernel.shape[0], model.headKernel.shape[1]);
  model.headBias.data.fill(0);
}

export function glorotUniform(rng: Prng, out: Float32Array, fanIn: number, fanOut: number): void {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-limit, limit);
}

/** rows×cols with orthonormal rows (or columns, whichever is fewer), as Keras's Orthogonal. */
export function orthogonal(rng: Prng, out: Float32Array, rows: number, cols: number): void {
  const n = Math.max(rows, cols),
    m = Math.min(rows, cols);
  // m orthonormal vectors of length n by modified Gram-Schmidt in float64.
  const v: Float64Array[] = [];
  for (let i = 0; i < m; i++) {
    const a = new Float64Array(n);
    for (let j = 0; j < n; j++) a[j] = rng.normal();
    for (const q of v) {
      let d = 0;
      for (let j = 0; j < n; j++) d += a[j] * q[j];
      for (let j = 0; j < n; j++) a[j] -= d * q[j];
    }
    let norm = 0;
    for (let j = 0; j < n; j++) norm += a[j] * a[j];
    norm = Math.sqrt(norm);
    for (let j = 0; j < n; j++) a[j] /= norm;
    v.push(a);
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = rows <= cols ? v[r][c] : v[c][r];
  }
}
