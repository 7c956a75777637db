// Tail probabilities of the standard normal in log space, so that a surprise value keeps growing
// long after the probability itself has underflowed (|z| > ~38) or the score has rounded to 1.

const LN_SQRT_PI = 0.5 * Math.log(Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const LN10 = Math.LN10;
const SQRT1_2 = Math.SQRT1_2;
/** Below this the power series of erf is exact to ~1e-13 relative in erfc; above it the continued fraction is. */
const SERIES_LIMIT = 2;
/** Terms of the continued fraction: fixed, so the cost per call is constant (checked against mpmath to 1e-13). */
const CF_TERMS = 48;

/** ln erfc(x) for x >= 0 (NaN for NaN; x < 0 is treated as 0 and callers pass |x|). */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x < SERIES_LIMIT) return Math.log1p(-erfSeries(x));
  if (x === Infinity) return -Infinity;
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the back.
  let f = x;
  for (let k = CF_TERMS; k >= 1; k--) f = x + (0.5 * k) / f;
  return -x * x - LN_SQRT_PI - Math.log(f);
}

/** erf(x) = 2/√π · e^{-x²} · Σ x (2x²)^n / (1·3·…·(2n+1)): all terms positive, no cancellation. */
function erfSeries(x: number): number {
  const x2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

/** ln P(|Z| >= |z|) for a standard normal Z: the two-sided tail probability, in log space. */
export function logTwoSidedTail(z: number): number {
  return logErfc(Math.abs(z) * SQRT1_2);
}

/** P(|Z| >= |z|), in [0, 1]. Underflows to 0 beyond |z| ≈ 38; use the surprise there. */
export function twoSidedTail(z: number): number {
  return Math.exp(logTwoSidedTail(z));
}

/**
 * Anomaly score = 1 - P(|Z| >= |z|) in [0, 1]: the probability mass of the forecast distribution
 * that is closer to the mean than the actual. Calibrated: under the model, P(score > s) = 1 - s.
 */
export function scoreFromZ(z: number): number {
  return 0 - Math.expm1(logTwoSidedTail(z));
}

/** Surprise = -log10 P(|Z| >= |z|) >= 0, strictly increasing in |z| with no ceiling. */
export function surpriseFromZ(z: number): number {
  return (0 - logTwoSidedTail(z)) / LN10;
}

/**
 * -log10 P(Z >= z), the one-sided upper tail: large only for large positive z, near 0 for negative z.
 * Same log-space evaluation as the surprise, so it keeps growing where the probability underflows.
 */
export function upperTailSurprise(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const lnHalfTwoSided = logErfc(Math.abs(z) * SQRT1_2) - Math.LN2;
  const ln = z >= 0 ? lnHalfTwoSided : Math.log1p(-Math.exp(lnHalfTwoSided));
  return (0 - ln) / LN10;
}
