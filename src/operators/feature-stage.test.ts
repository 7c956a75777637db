import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { featureSchema } from './feature-schema.js';
import { FeatureStage } from './feature-stage.js';
import { resolveOptions, type ResolvedOptions } from './resolved-options.js';
import { StageHost } from './stage-host.js';

// Online features (ring, sliding Welford, deques) against a plain offline computation over the whole
// array: loops over each window, written independently of the stage.

interface Step {
  z: number;
  imputed: boolean;
  broken: boolean;
}

function offline(o: ResolvedOptions, steps: Step[], t: number): number[] {
  let s0 = 0;
  for (let i = 0; i <= t; i++) if (steps[i].broken) s0 = i;
  const z = steps.map((s) => s.z);
  const i = t - s0;
  const back = (k: number): number => z[t - Math.min(k, i)];
  const out: number[] = [z[t]];
  for (const k of o.lags) out.push(back(k));
  for (const d of o.diffs) out.push(z[t] - back(d));
  if (o.seasonalDiff > 0) out.push(z[t] - back(o.seasonalDiff));
  for (const W of o.windows) {
    const win = z.slice(t - Math.min(i + 1, W) + 1, t + 1);
    let sum = 0;
    for (const v of win) sum += v;
    const mean = sum / win.length;
    let ss = 0;
    for (const v of win) ss += (v - mean) ** 2;
    if (o.statMean) out.push(mean);
    if (o.statStd) out.push(Math.sqrt(ss / win.length));
    if (o.statMin) out.push(Math.min(...win));
    if (o.statMax) out.push(Math.max(...win));
  }
  if (o.imputedMask) out.push(steps[t].imputed ? 1 : 0);
  let since = 0;
  for (let k = t; k >= 0 && steps[k].imputed; k--) since++;
  if (o.timeSinceObservation) out.push(Math.log1p(since));
  return out;
}

function online(o: ResolvedOptions, steps: Step[]): number[][] {
  const width = featureSchema(o).names.length;
  const stage = new FeatureStage(o, width);
  const host = new StageHost([stage]);
  const slot = host.slotFor('s');
  const out = new Float64Array(width);
  const z = new Float64Array(1);
  const mask = new Uint8Array(1);
  return steps.map((s, t) => {
    z[0] = s.z;
    mask[0] = s.imputed ? 1 : 0;
    stage.step(slot, t * 60_000, z, mask, s.broken && t > 0, out);
    return Array.from(out);
  });
}

const stepArb = fc.record({
  z: fc.oneof(fc.double({ min: -50, max: 50, noNaN: true }), fc.constantFrom(0, 1, -1)),
  imputed: fc.boolean(),
  broken: fc.boolean().map((b) => b && Math.random() < 0.1),
});

const optionsArb = fc.record({
  lags: fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 4 }),
  diffs: fc.uniqueArray(fc.integer({ min: 1, max: 10 }), { maxLength: 2 }),
  seasonal: fc.option(fc.integer({ min: 2, max: 24 }), { nil: null }),
  windows: fc.uniqueArray(fc.integer({ min: 2, max: 40 }), { minLength: 1, maxLength: 3 }),
  stats: fc.subarray(['mean', 'std', 'min', 'max'] as const, { minLength: 1 }),
});

describe('FeatureStage', () => {
  it('computes online exactly what an offline pass over the whole array computes (to 1e-9)', () => {
    fc.assert(
      fc.property(optionsArb, fc.array(stepArb, { minLength: 1, maxLength: 300 }), (opt, steps) => {
        const o = resolveOptions({
          step_ms: 60_000,
          features: {
            lags: opt.lags,
            diffs: opt.diffs,
            seasonal_diff_steps: opt.seasonal,
            rolling_windows: opt.windows,
            rolling_stats: [...opt.stats],
            calendar: false,
            time_since_observation: true,
            imputed_mask: true,
          },
        });
        const got = online(o, steps);
        for (let t = 0; t < steps.length; t++) {
          const want = offline(o, steps, t);
          expect(got[t].length).toBe(want.length);
          for (let k = 0; k < want.length; k++) {
            if (Math.abs(got[t][k] - want[k]) > 1e-9 * (1 + Math.abs(want[k]))) {
              throw new Error(`t=${t} feature ${featureSchema(o).names[k]}: online ${got[t][k]} offline ${want[k]}`);
            }
          }
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 150) },
    );
  });

  it('stays exact over a long series with windows far past the uint16 step wrap', () => {
    const o = resolveOptions({ step_ms: 1000, features: { lags: [1, 5], rolling_windows: [7, 50], calendar: false } });
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 10 - 5;
    const steps: Step[] = Array.from({ length: 70_000 }, (_, t) => ({ z: t % 977 < 100 ? 2 : rnd(), imputed: false, broken: false }));
    const got = online(o, steps);
    for (const t of [0, 1, 49, 50, 65_535, 65_536, 65_600, 69_999]) {
      const want = offline(o, steps, t);
      want.forEach((w, k) => {
        expect(Math.abs(got[t][k] - w)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(w)));
      });
    }
  });

  it('writes calendar phases of the step time (UTC)', () => {
    const o = resolveOptions({
      step_ms: 3_600_000,
      features: { lags: [], diffs: [], rolling_windows: [], calendar: true, time_since_observation: false, imputed_mask: false },
    });
    const names = featureSchema(o).names;
    const stage = new FeatureStage(o, names.length);
    const host = new StageHost([stage]);
    const out = new Float64Array(names.length);
    // 2024-01-01 is a Monday; 18:00 UTC is three quarters of the day.
    stage.step(host.slotFor('k'), Date.UTC(2024, 0, 1, 18), new Float64Array([0]), new Uint8Array(1), false, out);
    const at = (n: string): number => out[names.indexOf(n)];
    expect(at('hour_sin')).toBeCloseTo(Math.sin(2 * Math.PI * 0.75), 12);
    expect(at('hour_cos')).toBeCloseTo(Math.cos(2 * Math.PI * 0.75), 12);
    expect(at('dow_sin')).toBeCloseTo(Math.sin((2 * Math.PI * 0.75) / 7), 12);
    expect(at('dow_cos')).toBeCloseTo(Math.cos((2 * Math.PI * 0.75) / 7), 12);
  });
});
