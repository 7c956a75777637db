// Tail probabilities on the surprise scale (-log10 p) for the combined and group detectors, in log
// space so that they keep growing where p underflows. Both reduce to one closed form: for an even
// number of degrees of freedom 2m, P(χ²_2m >= 2y) = e^{-y} Σ_{k<m} y^k / k!.

const LN10 = Math.LN10;

/** ln P(χ²_2m >= 2y) for m >= 1, y >= 0 (log-sum-exp over the m terms; O(m)). */
export function logChiSquareEvenTail(y: number, m: number): number {
  if (!(y > 0)) return 0;
  if (y === Infinity) return -Infinity;
  const lnY = Math.log(y);
  // Largest term index: k = min(m - 1, floor(y)); terms rise up to it and fall after.
  const top = Math.min(m - 1, Math.floor(y));
  let lnTop = 0;
  for (let k = 1; k <= top; k++) lnTop += lnY - Math.log(k);
  let sum = 0;
  let lnTerm = 0;
  for (let k = 0; k < m; k++) {
    if (k > 0) lnTerm += lnY - Math.log(k);
    sum += Math.exp(lnTerm - lnTop);
  }
  return Math.min(0, -y + lnTop + Math.log(sum));
}

/** Surprise of a sum of `dof` (even) squared standard normals reaching q: -log10 P(χ²_dof >= q). */
export function chiSquareSurprise(q: number, dof: number): number {
  return (0 - logChiSquareEvenTail(0.5 * q, dof >> 1)) / LN10;
}

/**
 * Fisher's combination of n independent p-values given as surprises s_i = -log10 p_i:
 * -2 Σ ln p_i = 2·ln10·Σ s_i is χ²_2n under the null, so the combined surprise is exact for any n.
 */
export function fisherSurprise(sumSurprise: number, n: number): number {
  if (n <= 0) return 0;
  return (0 - logChiSquareEvenTail(LN10 * sumSurprise, n)) / LN10;
}

/**
 * The surprise of the largest of k surprises after a Bonferroni correction: -log10 min(1, k·p_min).
 * Never anti-conservative, whatever the dependence between the k tests.
 */
export function bonferroniSurprise(maxSurprise: number, k: number): number {
  const s = maxSurprise - Math.log10(k);
  return s > 0 ? s : 0;
}
