import { StackedModel, type ModelConfig } from '../stacked-model.js';
import { initialiseWeights } from '../../training/init.js';
import { Prng } from '../../training/prng.js';

// Test support: a seeded model whose biases (and peepholes) are random too, so every parameter matters.

export function randomModel(config: ModelConfig): StackedModel {
  const model = new StackedModel(config);
  initialiseWeights(model);
  const rng = new Prng(config.seed + 1000);
  for (const p of model.params()) {
    if (p.name === 'bias' || p.name === 'dense/bias' || p.name === 'peephole') {
      for (let i = 0; i < p.data.length; i++) p.data[i] += rng.uniform(-0.5, 0.5);
    }
  }
  return model;
}

export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Prng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

/** Largest |a-b| / max(1, |b|): absolute for values up to 1, relative above (unbounded relu states). */
export function maxScaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(d <= m)) m = d;
  }
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN propagates as a failure
  }
  return m;
}
