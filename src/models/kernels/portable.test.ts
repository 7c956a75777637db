import { describe, expect, it } from 'vitest';
import { portableKernels as k } from './portable.js';

// The reference kernels against a float64 triple loop, with offsets and beta = 1.

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
}

function naive(
  m: number,
  n: number,
  kk: number,
  at: (i: number, p: number) => number,
  bt: (p: number, j: number) => number,
  c0: (i: number, j: number) => number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < kk; p++) s += at(i, p) * bt(p, j);
      out.push(s + c0(i, j));
    }
  return out;
}

describe('portable kernels', () => {
  const m = 5,
    n = 7,
    kk = 9,
    aOff = 3,
    bOff = 2,
    cOff = 4;
  const a = rand(aOff + m * kk, 1),
    b = rand(bOff + kk * n, 2),
    c = rand(cOff + m * n, 3);
  const close = (got: Float32Array, want: number[]): void => {
    want.forEach((w, i) => {
      expect(got[cOff + i]).toBeCloseTo(w, 5);
    });
  };

  it.each([0, 1] as const)('gemm, beta %i', (beta) => {
    const out = c.slice();
    k.gemm(m, n, kk, a, aOff, b, bOff, out, cOff, beta);
    close(
      out,
      naive(
        m,
        n,
        kk,
        (i, p) => a[aOff + i * kk + p],
        (p, j) => b[bOff + p * n + j],
        (i, j) => (beta ? c[cOff + i * n + j] : 0),
      ),
    );
    expect(out[0]).toBe(c[0]); // nothing before cOff touched
  });

  it.each([0, 1] as const)('gemmTransA (a is k×m), beta %i', (beta) => {
    const out = c.slice();
    k.gemmTransA(m, n, kk, a, aOff, b, bOff, out, cOff, beta);
    close(
      out,
      naive(
        m,
        n,
        kk,
        (i, p) => a[aOff + p * m + i],
        (p, j) => b[bOff + p * n + j],
        (i, j) => (beta ? c[cOff + i * n + j] : 0),
      ),
    );
  });

  it.each([0, 1] as const)('gemmTransB (b is n×k), beta %i', (beta) => {
    const bt = rand(bOff + n * kk, 4);
    const out = c.slice();
    k.gemmTransB(m, n, kk, a, aOff, bt, bOff, out, cOff, beta);
    close(
      out,
      naive(
        m,
        n,
        kk,
        (i, p) => a[aOff + i * kk + p],
        (p, j) => bt[bOff + j * kk + p],
        (i, j) => (beta ? c[cOff + i * n + j] : 0),
      ),
    );
  });
});
