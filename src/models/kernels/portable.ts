import type { Kernels } from './kernels.js';
import {
  adam,
  addColumnSums,
  elmanBackward,
  elmanForward,
  gruBackward,
  gruForward,
  lstmBackward,
  lstmForward,
} from './portable-pointwise.js';

// The reference backend: plain loops over Float32Arrays. Faster backends keep results identical,
// so the arithmetic here is the contract: for each output element, s starts at 0 and adds the
// float32-rounded products a·b in increasing k, rounding to float32 after each add (no FMA);
// then c = s (beta 0) or c = fround(c + s) (beta 1).

const fround = Math.fround;
let row = new Float32Array(256);

/** A reusable accumulator row: grows once, then no allocation per call. */
function accRow(n: number): Float32Array {
  if (row.length < n) row = new Float32Array(Math.max(n, row.length * 2));
  return row;
}

/** c = beta·c + A·b where A[i, p] = a[aOff + i·rowStride + p·colStride]: covers a and aᵀ alike. */
function gemmStrided(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  rowStride: number,
  colStride: number,
  b: Float32Array,
  bOff: number,
  c: Float32Array,
  cOff: number,
  beta: 0 | 1,
): void {
  const s = accRow(n);
  for (let i = 0; i < m; i++) {
    s.fill(0, 0, n);
    const ai = aOff + i * rowStride;
    // i-p-j order: the inner loop streams one row of b into the accumulator row.
    for (let p = 0; p < k; p++) {
      const av = a[ai + p * colStride];
      const bp = bOff + p * n;
      for (let j = 0; j < n; j++) s[j] += fround(av * b[bp + j]);
    }
    const ci = cOff + i * n;
    if (beta === 0) for (let j = 0; j < n; j++) c[ci + j] = s[j];
    else for (let j = 0; j < n; j++) c[ci + j] += s[j];
  }
}

function gemm(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  c: Float32Array,
  cOff: number,
  beta: 0 | 1,
): void {
  gemmStrided(m, n, k, a, aOff, k, 1, b, bOff, c, cOff, beta);
}

/** a is [k×m]: A[i, p] = a[p·m + i]. */
function gemmTransA(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  c: Float32Array,
  cOff: number,
  beta: 0 | 1,
): void {
  gemmStrided(m, n, k, a, aOff, 1, m, b, bOff, c, cOff, beta);
}

function gemmTransB(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  c: Float32Array,
  cOff: number,
  beta: 0 | 1,
): void {
  for (let i = 0; i < m; i++) {
    const ai = aOff + i * k;
    const ci = cOff + i * n;
    for (let j = 0; j < n; j++) {
      const bj = bOff + j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s = fround(s + fround(a[ai + p] * b[bj + p]));
      c[ci + j] = beta === 0 ? s : c[ci + j] + s;
    }
  }
}

export const portableKernels: Kernels = {
  name: 'portable',
  alloc: (length: number) => new Float32Array(length),
  gemm,
  gemmTransA,
  gemmTransB,
  addColumnSums,
  lstmForward,
  lstmBackward,
  gruForward,
  gruBackward,
  elmanForward,
  elmanBackward,
  adam,
};
