import type { Param } from '../models/cell-config.js';

// Gradient clipping over all parameters' grads.

export function globalGradNorm(params: readonly Param[]): number {
  let s = 0;
  for (const p of params) {
    const g = p.grad;
    for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  }
  return Math.sqrt(s);
}

/** Scales all grads so their global L2 norm is at most maxNorm. Returns the norm before clipping. */
export function clipByGlobalNorm(params: readonly Param[], maxNorm: number): number {
  const norm = globalGradNorm(params);
  if (norm > maxNorm && norm > 0) {
    const scale = maxNorm / norm;
    for (const p of params) {
      const g = p.grad;
      for (let i = 0; i < g.length; i++) g[i] *= scale;
    }
  }
  return norm;
}

/** Clamps every grad element into [-maxValue, maxValue]. Returns how many were clamped. */
export function clipByValue(params: readonly Param[], maxValue: number): number {
  let clamped = 0;
  for (const p of params) {
    const g = p.grad;
    for (let i = 0; i < g.length; i++) {
      if (g[i] > maxValue) {
        g[i] = maxValue;
        clamped++;
      } else if (g[i] < -maxValue) {
        g[i] = -maxValue;
        clamped++;
      }
    }
  }
  return clamped;
}
