import { expect, it } from 'vitest';
import { Prng } from '../training/prng.js';
import { DEVIATION_KINDS, DeviationClassifier } from './deviation-classifier.js';

it('learns the deviation kinds from synthetic injections into clean history and tells real ones apart', () => {
  // A random walk with noise (clean history), then anomalies of each kind written independently of the classifier's injector.
  const rng = new Prng(4);
  const n = 6000;
  const v = new Float64Array(n);
  for (let i = 1; i < n; i++) v[i] = 0.9 * v[i - 1] + rng.normal();
  const c = new DeviationClassifier({ seed: 2 });
  const p = new Float64Array(DEVIATION_KINDS.length);
  expect(c.classify(v, 100, p)).toBe(false); // untrained
  for (let end = c.window; end < 3000; end += 2) c.learnFromClean(v, end);
  let right = 0,
    total = 0;
  for (let start = 3100; start + 30 < n; start += 120) {
    const kind = total % 4;
    const w = v.slice(0, start + 30);
    if (kind === 0) w[start] += 8;
    else if (kind === 1) for (let i = start; i < start + 20; i++) w[i] += 5;
    else if (kind === 2) for (let i = start; i < start + 20; i++) w[i] += 3.5 * rng.normal();
    else for (let i = start; i < start + 20; i++) w[i] = w[start - 1];
    const at = kind === 0 ? start : start + 5;
    expect(c.classify(w, at + 1, p)).toBe(true);
    if (p.indexOf(Math.max(...p)) === kind) right++;
    total++;
  }
  expect(total).toBeGreaterThan(20);
  expect(right / total).toBeGreaterThan(0.75); // chance: 0.25
});
