// Recursive-least-squares arithmetic on flat arrays at offsets, so that one slab can hold the
// readouts of many streams (src/forecasting/stream-readouts.ts) and RecursiveLeastSquares can hold
// one: the same loops, in the same order, serve both.

/** out[j] = Σ_i x[xOff + i]·W[wOff + i·c + j] for j < c. */
export function rlsPredict(
  w: Float64Array,
  wOff: number,
  d: number,
  c: number,
  x: ArrayLike<number>,
  xOff: number,
  out: Float64Array | Float32Array,
): void {
  for (let j = 0; j < c; j++) out[j] = 0;
  for (let i = 0; i < d; i++) {
    const xi = x[xOff + i];
    if (xi === 0) continue;
    const row = wOff + i * c;
    for (let j = 0; j < c; j++) out[j] += xi * w[row + j];
  }
}

/**
 * One exponentially weighted RLS step given the prior errors e = y - ŷ (error[j], c outputs):
 * gain k = P·x / (λ + xᵀP·x); W += k·eᵀ; P = (P - k·(P·x)ᵀ) / λ, the division skipped once
 * trace(P)/λ would pass maxTrace (no wind-up when features stop varying). pf: scratch of d.
 */
export function rlsUpdate(
  w: Float64Array,
  wOff: number,
  p: Float64Array,
  pOff: number,
  d: number,
  c: number,
  x: ArrayLike<number>,
  xOff: number,
  error: Float64Array,
  forgetting: number,
  maxTrace: number,
  pf: Float64Array,
): void {
  let denominator = forgetting;
  for (let i = 0; i < d; i++) {
    let s = 0;
    const row = pOff + i * d;
    for (let k = 0; k < d; k++) s += p[row + k] * x[xOff + k];
    pf[i] = s;
    denominator += x[xOff + i] * s;
  }
  const inverse = 1 / denominator;
  for (let i = 0; i < d; i++) {
    const gain = pf[i] * inverse;
    if (gain === 0) continue;
    const row = wOff + i * c;
    for (let j = 0; j < c; j++) w[row + j] += gain * error[j];
  }
  // The updated trace first (its diagonal terms, summed in the same order), so that the 1/λ scaling
  // is applied in the same pass as the update instead of a second pass over P. The values are the
  // same products as scaling afterwards (and × 1 is exact): bit-identical to the two-pass form.
  let trace = 0;
  for (let i = 0; i < d; i++) {
    const gi = pf[i] * inverse;
    trace += p[pOff + i * d + i] - gi * pf[i];
  }
  const scale = forgetting < 1 && trace / forgetting <= maxTrace ? 1 / forgetting : 1;
  for (let i = 0; i < d; i++) {
    const row = pOff + i * d;
    const gi = pf[i] * inverse;
    for (let k = i; k < d; k++) {
      const v = (p[row + k] - gi * pf[k]) * scale;
      p[row + k] = v;
      p[pOff + k * d + i] = v;
    }
  }
}

/** P = initialScale·I at pOff (d × d). */
export function rlsResetCovariance(p: Float64Array, pOff: number, d: number, initialScale: number): void {
  p.fill(0, pOff, pOff + d * d);
  for (let i = 0; i < d; i++) p[pOff + i * d + i] = initialScale;
}
