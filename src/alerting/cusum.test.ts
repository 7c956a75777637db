import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../benchmarks/alerts-random.js';
import { AlertEngine } from './alert-engine.js';
import { Cusum } from './cusum.js';

const MIN = 60_000;

/** Steps after the shift until the first alarm (h reached), or Infinity within `max` steps. */
function delay(c: Cusum, slot: number, noise: () => number, warm: number, shift: number, max: number): number {
  for (let i = 0; i < warm; i++) c.update(slot, noise());
  // Alarms during the warm-up are false ones; start each trial from a clean state.
  c.reserve(slot + 1);
  for (let i = 0; i < 200 && (c.sums(slot)[0] > 0 || c.sums(slot)[1] > 0); i++) c.update(slot, 0);
  for (let i = 1; i <= max; i++) if (c.update(slot, shift + noise()) >= c.options.h) return i;
  return Infinity;
}

describe('Cusum', () => {
  it('follows Page’s recursion on both sides and restarts at h', () => {
    const c = new Cusum({ k: 0.5, h: 5, clip: 4 });
    // Upper side: 0.5, 1.0, then 1.0 + 3 - 0.5 = 3.5; lower side stays 0.
    expect([1, 1, 3].map((z) => c.update(0, z))).toEqual([0.5, 1, 3.5]);
    expect(c.sums(0)).toEqual([3.5, 0]);
    // 3.5 + 2 - 0.5 = 5 reaches h: reported, then both sides restart.
    expect(c.update(0, 2)).toBe(5);
    expect(c.sums(0)).toEqual([0, 0]);
    // Lower side: -z - k accumulates; the upper side is floored at 0.
    expect([-2, -2].map((z) => c.update(0, z))).toEqual([1.5, 3]);
    expect(c.sums(0)).toEqual([0, 3]);
    // Streams are independent.
    expect(c.update(1, 1)).toBe(0.5);
    expect(c.update(0, Number.NaN)).toBeNaN();
    expect(c.sums(0)).toEqual([0, 3]);
  });

  it('clips outliers so that a single spike cannot alarm', () => {
    const c = new Cusum({ k: 0.5, h: 5, clip: 4 });
    expect(c.update(0, 1000)).toBe(3.5);
    expect(c.update(0, -1000)).toBe(3.5); // upper side 3.5 - 4.5 -> 0, lower side 3.5
  });

  it('detects a 2-sigma shift within a few steps (k = 0.5, h = 5)', () => {
    const noise = gaussian(mulberry32(11));
    const c = new Cusum({ k: 0.5, h: 5, clip: 4 });
    const delays: number[] = [];
    for (let trial = 0; trial < 400; trial++) delays.push(delay(c, trial % 7, noise, 50, trial % 2 ? 2 : -2, 50));
    delays.sort((a, b) => a - b);
    // Noise-free the sum grows 1.5 a step: 4 steps. Siegmund's approximation of the mean delay:
    // (h + 1.166) / (2 - k) = 4.1 steps.
    const median = delays[delays.length >> 1];
    expect(median).toBeGreaterThanOrEqual(3);
    expect(median).toBeLessThanOrEqual(5);
    expect(delays[Math.floor(0.95 * delays.length)]).toBeLessThanOrEqual(8);
    expect(delays.every(Number.isFinite)).toBe(true);
  });

  it('raises false alarms on N(0, 1) noise at the rate Page’s theory gives, and far fewer with a higher h', () => {
    const noise = gaussian(mulberry32(12));
    const n = 200_000;
    const count = (h: number) => {
      const c = new Cusum({ k: 0.5, h, clip: 4 });
      let alarms = 0;
      for (let i = 0; i < n; i++) if (c.update(0, noise()) >= h) alarms++;
      return alarms;
    };
    // Two-sided in-control run length at k = 0.5, h = 5 (Siegmund): about 470 steps, i.e. ~425
    // alarms in 2e5 steps; stated bound: at most 1 alarm per 330 steps, and not absurdly fewer.
    const at5 = count(5);
    expect(at5).toBeLessThan(n / 330);
    expect(at5).toBeGreaterThan(n / 700);
    // h = 10: run length ~1e5 steps; a few alarms at most.
    expect(count(10)).toBeLessThanOrEqual(8);
  });
});

describe('cusum rule detector', () => {
  const UNIT = { mean: new Float64Array([0]), lower: new Float64Array([-2]), upper: new Float64Array([2]), logVar: new Float64Array([0]) };

  it('fires on a persistent 2-sigma shift that the score rule at 0.9999 misses, in virtual time', () => {
    const e = new AlertEngine('p', {
      scorer: { tail_calibration: false, cusum_k: 0.5, cusum_h: 8 },
      rules: [
        { name: 'deviation', detector: 'score', warning: 0.9999 },
        { name: 'shift', detector: 'cusum', warning: 8, resolve_steps: 3 },
      ],
    });
    const noise = gaussian(mulberry32(3));
    const fired: Array<[string, string, number]> = [];
    let levelAtAlarm = NaN;
    for (let i = 0; i < 400; i++) {
      const t = i * MIN;
      const z = (i >= 300 ? 2 : 0) + 0.3 * noise();
      for (const ev of e.step('s', t, MIN, z, false, { t, stepMs: MIN, modelVersion: 'm', ...UNIT })) {
        fired.push([ev.rule, ev.state, i]);
        if (ev.rule === 'shift' && Number.isNaN(levelAtAlarm)) levelAtAlarm = ev.level;
      }
    }
    const firstShift = fired.find(([r, s]) => r === 'shift' && s === 'firing');
    expect(firstShift).toBeDefined();
    // 8 / 1.5 = 5.3: the sixth shifted step (i = 305), give or take the noise.
    expect(firstShift![2]).toBeGreaterThanOrEqual(303);
    expect(firstShift![2]).toBeLessThanOrEqual(307);
    expect(levelAtAlarm).toBeGreaterThanOrEqual(8);
    expect(fired.filter(([r]) => r === 'deviation')).toEqual([]);
    expect(fired.filter(([, , i]) => i < 300)).toEqual([]);
  });

  it('rejects a cusum threshold the statistic can never reach', () => {
    expect(() => new AlertEngine('p', { scorer: { cusum_h: 6 }, rules: [{ name: 'x', detector: 'cusum', warning: 7 }] })).toThrow(
      /never fires/,
    );
  });
});
