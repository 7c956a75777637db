import { describe, expect, it } from 'vitest';
import { Prng } from '../training/prng.js';
import { RegimeClassifier } from './regime-classifier.js';
import { SoftmaxRegression } from './softmax-regression.js';

describe('SoftmaxRegression', () => {
  it('learns a separable three-class toy problem online', () => {
    // Classes by the largest of three linear scores (linearly separable, a margin kept), features on
    // very different scales and one of pure noise.
    const rng = new Prng(3);
    const model = new SoftmaxRegression(3, 3, { learningRate: 0.5, l2: 0 });
    const x = new Float64Array(3),
      p = new Float64Array(3);
    const score = (a: number, b: number) => [a - b, 0.5, a + b];
    const labelOf = (a: number, b: number) => {
      const s = score(a, b);
      return s.indexOf(Math.max(...s));
    };
    const margin = (a: number, b: number) => {
      const s = score(a, b).sort((u, v) => v - u);
      return s[0] - s[1];
    };
    for (let i = 0; i < 10000; i++) {
      x[0] = rng.uniform(-2, 2);
      x[1] = rng.uniform(-2, 2);
      x[2] = 1000 * rng.normal(); // x[2] is noise at a large scale
      if (margin(x[0], x[1]) < 0.1) {
        i--;
        continue;
      }
      x[1] *= 100; // feature 1 in other units
      model.learn(x, 0, labelOf(x[0], x[1] / 100));
    }
    let right = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      x[0] = rng.uniform(-2, 2);
      x[1] = 100 * rng.uniform(-2, 2);
      x[2] = 1000 * rng.normal();
      if (margin(x[0], x[1] / 100) < 0.1) {
        i--;
        continue;
      }
      model.predict(x, 0, p);
      const guess = p.indexOf(Math.max(p[0], p[1], p[2]));
      if (guess === labelOf(x[0], x[1] / 100)) right++;
      expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 12);
    }
    expect(right / n).toBeGreaterThan(0.93);
  });
});

describe('RegimeClassifier', () => {
  it('tells rising, falling and flat stretches apart well above the majority class, leak-free', () => {
    // Streams of trends lasting 60 steps (slope +, -, or 0 at random) with noise, in different units.
    const H = 6,
      rng = new Prng(8);
    const c = new RegimeClassifier({ horizon: H });
    const streams = ['a', 'b', 'c'],
      units = [1, 50, 0.01];
    const level = [0, 0, 0],
      slope = [0, 0, 0];
    const probs = new Float64Array(3);
    const predicted: number[][] = streams.map(() => []);
    const truth: number[][] = streams.map(() => []);
    const values: number[][] = streams.map(() => []);
    for (let t = 0; t < 6000; t++) {
      streams.forEach((k, j) => {
        if (t % 60 === 0) slope[j] = [-1, 0, 1][rng.int(3)] * 0.5;
        level[j] += slope[j] + 0.3 * rng.normal();
        values[j].push(level[j] * units[j]);
        c.observe(k, level[j] * units[j]);
        if (t >= H) truth[j][t - H] = c.lastRegime(k); // the label of origin t - H, known now
        predicted[j].push(t > 3000 && c.probabilities(k, probs) ? probs.indexOf(Math.max(...probs)) : -1);
      });
    }
    expect(c.probabilities('nope', probs)).toBe(false);
    // Scored against the labels the classifier learned from (each known only H steps after its forecast).
    let right = 0,
      n = 0;
    const counts = [0, 0, 0];
    streams.forEach((_, j) => {
      for (let t = 3001; t + H < values[j].length; t++) {
        if (predicted[j][t] < 0 || truth[j][t] < 0) continue;
        counts[truth[j][t]]++;
        if (predicted[j][t] === truth[j][t]) right++;
        n++;
      }
    });
    const majority = Math.max(...counts) / n;
    expect(n).toBeGreaterThan(8000);
    expect(right / n).toBeGreaterThan(majority + 0.25);
  });

  it('skips non-finite values and counts them', () => {
    const c = new RegimeClassifier({ horizon: 2 });
    c.observe('x', 1);
    c.observe('x', Number.NaN);
    c.observe('x', Number.POSITIVE_INFINITY);
    expect(c.skipped).toBe(2);
    expect(c.lastRegime('x')).toBe(-1);
  });
});
