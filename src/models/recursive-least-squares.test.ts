import { describe, expect, it } from 'vitest';
import { RecursiveLeastSquares } from './recursive-least-squares.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** Batch least squares by the normal equations (Gaussian elimination), the reference RLS must reach. */
function normalEquations(xs: number[][], ys: number[][], ridge: number): number[][] {
  const d = xs[0].length;
  const c = ys[0].length;
  const a = Array.from({ length: d }, (_, i) => Array.from({ length: d + c }, (_, j) => (i === j ? ridge : 0)));
  xs.forEach((x, n) => {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) a[i][j] += x[i] * x[j];
      for (let j = 0; j < c; j++) a[i][d + j] += x[i] * ys[n][j];
    }
  });
  for (let col = 0; col < d; col++) {
    const pivot = a[col][col];
    for (let j = col; j < d + c; j++) a[col][j] /= pivot;
    for (let r = 0; r < d; r++) {
      if (r === col) continue;
      const f = a[r][col];
      for (let j = col; j < d + c; j++) a[r][j] -= f * a[col][j];
    }
  }
  return a.map((row) => row.slice(d));
}

describe('RecursiveLeastSquares', () => {
  it('equals batch ridge regression when nothing is forgotten', () => {
    const rand = lcg(7);
    const rls = new RecursiveLeastSquares({ features: 4, outputs: 2, forgetting: 1, initialScale: 100 });
    const xs: number[][] = [];
    const ys: number[][] = [];
    for (let n = 0; n < 200; n++) {
      const x = [rand(), rand(), rand(), 1];
      const y = [2 * x[0] - x[1] + 0.5 + 0.1 * rand(), x[2] * 3 - 1 + 0.1 * rand()];
      xs.push(x);
      ys.push(y);
      rls.update(x, y);
    }
    const reference = normalEquations(xs, ys, 1 / 100);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) expect(rls.weights[i * 2 + j]).toBeCloseTo(reference[i][j], 8);
    }
  });

  it('tracks a regression that changes, thanks to forgetting', () => {
    const rand = lcg(3);
    const rls = new RecursiveLeastSquares({ features: 2, outputs: 1, forgetting: 0.98 });
    const out = new Float64Array(1);
    for (let n = 0; n < 2000; n++) {
      const x = [rand(), 1];
      const slope = n < 1000 ? 1 : -2;
      rls.update(x, [slope * x[0]]);
    }
    rls.predict([0.5, 1], out);
    expect(out[0]).toBeCloseTo(-1, 6);
  });

  it('keeps P bounded when a feature stops varying', () => {
    const rls = new RecursiveLeastSquares({ features: 3, outputs: 1, forgetting: 0.95, maxTrace: 1000 });
    for (let n = 0; n < 5000; n++) rls.update([1, 0, 0], [1]);
    let trace = 0;
    for (let i = 0; i < 3; i++) trace += rls.p[i * 3 + i];
    expect(trace).toBeLessThanOrEqual(1000);
    expect(Number.isFinite(rls.weights[0])).toBe(true);
  });

  it('resumes exactly from a snapshot', () => {
    const rand = lcg(11);
    const a = new RecursiveLeastSquares({ features: 3, outputs: 2, forgetting: 0.99 });
    const data = Array.from({ length: 300 }, () => ({ x: [rand(), rand(), 1], y: [rand(), rand()] }));
    data.slice(0, 150).forEach(({ x, y }) => {
      a.update(x, y);
    });
    const b = new RecursiveLeastSquares({ features: 3, outputs: 2, forgetting: 0.99 });
    b.restore(a.snapshot());
    data.slice(150).forEach(({ x, y }) => {
      a.update(x, y);
      b.update(x, y);
    });
    expect(Array.from(b.weights)).toEqual(Array.from(a.weights));
    expect(Array.from(b.residualVariance)).toEqual(Array.from(a.residualVariance));
  });
});
