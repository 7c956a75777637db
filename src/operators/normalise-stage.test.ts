import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { invertForecast } from './invert.js';
import { NormaliseStage, WINSOR_MIN_COUNT, WINSOR_SIGMAS } from './normalise-stage.js';
import type { NormaliseOptions } from './options.js';
import { p2Estimate, p2Update } from './p2-quantile.js';
import { resolveOptions } from './resolved-options.js';
import { StageHost } from './stage-host.js';

function harness(normalise: Partial<NormaliseOptions>) {
  const o = resolveOptions({ step_ms: 1000, normalise });
  const stage = new NormaliseStage(o);
  const host = new StageHost([stage]);
  const slot = host.slotFor('s');
  const z = new Float64Array(1);
  const target = new Float64Array(1);
  return {
    o,
    stage,
    slot,
    /** Normalises one observed value; returns [z, target]. */
    step(x: number, imputed = false): [number, number] {
      stage.apply(slot, new Float64Array([x]), new Uint8Array([imputed ? 1 : 0]), false, z, target);
      return [z[0], target[0]];
    },
  };
}

const methods = ['zscore', 'ewm_zscore', 'minmax', 'robust', 'none'] as const;
const transforms = ['none', 'log', 'log_return'] as const;
const positive = fc.array(fc.double({ min: 0.01, max: 1e4, noNaN: true }), { minLength: 2, maxLength: 120 });

describe('NormaliseStage', () => {
  for (const method of methods) {
    for (const transform of transforms) {
      it(`${method} + ${transform}: inverting the target of step t+1 with the statistics after step t gives the value back`, () => {
        fc.assert(
          fc.property(positive, (xs) => {
            const h = harness({ method, transform, half_life_steps: 5 });
            for (let t = 0; t < xs.length; t++) {
              const cs = h.stage.centreScaleOf(h.slot, 0);
              const [, target] = h.step(xs[t]);
              if (Number.isNaN(target)) continue;
              const back = invertForecast(cs, h.o.transform, h.o.normMethod, [target], [0], 1.96);
              expect(Math.abs(back.mean[0] - xs[t])).toBeLessThanOrEqual(1e-9 * Math.max(1, xs[t]));
              expect(back.lower[0]).toBeCloseTo(back.mean[0], 9);
            }
          }),
          { numRuns: 40 },
        );
      });
    }
  }

  // Up to WINSOR_MIN_COUNT + 1 values nothing is winsorised: any sequence is plain Welford.
  it('zscore equals an offline two-pass over the previous values (to 1e-9)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: WINSOR_MIN_COUNT + 1 }), (xs) => {
        const h = harness({ method: 'zscore' });
        xs.forEach((x, t) => {
          const [z] = h.step(x);
          let want = 0;
          if (t > 0) {
            const prev = xs.slice(0, t);
            const mean = prev.reduce((a, b) => a + b, 0) / t;
            const ac = Math.max(1, Math.abs(mean));
            const sd = t >= 2 ? Math.sqrt(prev.reduce((a, b) => a + (b - mean) ** 2, 0) / (t - 1)) : ac;
            want = (x - mean) / Math.max(sd, 1e-6 * ac);
          }
          expect(Math.abs(z - want)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(want)));
        });
      }),
      { numRuns: 100 },
    );
  });

  it('zscore past its first values: values within WINSOR_SIGMAS scales learn as the two-pass; a stuck far-off stretch cannot blow the scale up', () => {
    let seed = 11;
    const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    // Uniform values never reach 4 scales (their max is 1.73 standard deviations): plain zscore.
    const xs = Array.from({ length: 400 }, () => 5 + 2 * rnd());
    const h = harness({ method: 'zscore' });
    for (const x of xs) h.step(x);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    const cs = h.stage.centreScaleOf(h.slot, 0);
    expect(Math.abs(cs.centre - mean)).toBeLessThan(1e-9);
    expect(Math.abs(cs.scale - sd)).toBeLessThan(1e-9);
    // A sensor stuck 100 scales off for 100 steps (a quarter of the history): plain zscore's scale
    // grows 40-fold (the two-pass below); winsorised, every stuck value learns as WINSOR_SIGMAS
    // scales off, so the scale grows, but far less.
    const stuck = [...xs, ...Array.from({ length: 100 }, () => mean - 100 * sd)];
    const m2 = stuck.reduce((a, b) => a + b, 0) / stuck.length;
    const plain = Math.sqrt(stuck.reduce((a, b) => a + (b - m2) ** 2, 0) / (stuck.length - 1));
    expect(plain).toBeGreaterThan(30 * sd);
    for (let t = 0; t < 100; t++) h.step(mean - 100 * sd);
    const after = h.stage.centreScaleOf(h.slot, 0);
    expect(after.scale).toBeGreaterThan(sd);
    expect(after.scale).toBeLessThan(10 * sd);
    // Back to normal, a normal value reads within a few scales of the centre (plain zscore: ~0.45).
    const [z] = h.step(mean);
    expect(Math.abs(z)).toBeLessThan(WINSOR_SIGMAS);
  });

  it('imputed values are scaled but neither learnt nor returned as targets', () => {
    const h = harness({ method: 'zscore' });
    h.step(1);
    h.step(3);
    const [z, target] = h.step(100, true);
    expect(z).toBeCloseTo((100 - 2) / Math.SQRT2, 12);
    expect(target).toBeNaN();
    const [z2] = h.step(2);
    expect(z2).toBe(0);
  });

  it('maps an interval through the exact inverse (log: exp of the bounds)', () => {
    const cs = { centre: 1, scale: 2, level: 10, count: 5 };
    const lin = invertForecast(cs, 0, 0, [0.5], [0.25], 2);
    expect([lin.mean[0], lin.lower[0], lin.upper[0]]).toEqual([2, 1, 3]);
    const log = invertForecast(cs, 1, 0, [0.5], [0.25], 2);
    expect([log.mean[0], log.lower[0], log.upper[0]]).toEqual([Math.exp(2), Math.exp(1), Math.exp(3)]);
    const ret = invertForecast(cs, 2, 0, [0, 0], [0.5, 0.5], 1);
    expect(ret.mean[0]).toBeCloseTo(10 * Math.exp(1), 12);
    expect(ret.mean[1]).toBeCloseTo(10 * Math.exp(2), 12);
    expect(ret.upper[1]).toBeCloseTo(10 * Math.exp(2 + Math.SQRT2), 12);
  });

  it('P² quantiles of 20 000 samples land near the exact ones', () => {
    let seed = 3;
    const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const xs = Array.from({ length: 20_000 }, () => -Math.log(rnd()) * 10); // exponential, mean 10
    const s = new Float64Array(30);
    const ps = [0.25, 0.5, 0.75];
    xs.forEach((x, i) => {
      ps.forEach((p, k) => {
        p2Update(s, k * 10, p, x, i + 1);
      });
    });
    const sorted = [...xs].sort((a, b) => a - b);
    ps.forEach((p, k) => {
      const exact = sorted[Math.floor(p * (sorted.length - 1))];
      expect(Math.abs(p2Estimate(s, k * 10, p, xs.length) - exact)).toBeLessThan(0.03 * exact + 0.05);
    });
  });
});
