import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../benchmarks/alerts-random.js';
import { defaultStepScorerOptions, StepScore, StepScorer } from './step-scorer.js';

const STEP = 60_000;

function forecast(t: number, mean: number, sd: number, withVar: boolean, horizons = 1) {
  const m = new Float64Array(horizons).fill(mean);
  return {
    t,
    stepMs: STEP,
    modelVersion: 'v1',
    mean: m,
    lower: m.map((x) => x - 1.96 * sd),
    upper: m.map((x) => x + 1.96 * sd),
    logVar: withVar ? new Float64Array(horizons).fill(2 * Math.log(sd)) : undefined,
  };
}

/** Share of scored steps with score > 0.99 on Gaussian residuals around a known forecast. */
function shareAbove(withVar: boolean, sdOf: (i: number) => number, n: number, seed: number): number {
  const scorer = new StepScorer();
  const out = new StepScore();
  const noise = gaussian(mulberry32(seed));
  let above = 0;
  let scored = 0;
  for (let i = 0; i < n; i++) {
    const t = i * STEP;
    const sd = sdOf(i);
    if (i > 0) {
      scorer.score(0, t, STEP, 10 + sd * noise(), false, out);
      if (out.scored) {
        scored++;
        if (out.score > 0.99) above++;
      }
    }
    scorer.record(0, forecast(t, 10, sdOf(i + 1), withVar));
  }
  return above / scored;
}

describe('StepScorer', () => {
  it('is calibrated with the true predicted variance: ~1% of scores above 0.99', () => {
    const share = shareAbove(true, (i) => 0.5 + (i % 7), 200_000, 1);
    // Binomial sd at n = 2e5, p = 0.01 is 0.00022: 0.0093..0.0107 is a ±3 sd band.
    expect(share).toBeGreaterThan(0.0093);
    expect(share).toBeLessThan(0.0107);
  });

  it('is close to calibrated with the running residual scale on slowly varying noise', () => {
    const share = shareAbove(false, (i) => 1 + 0.5 * Math.sin(i / 500), 100_000, 2);
    expect(share).toBeGreaterThan(0.007);
    expect(share).toBeLessThan(0.015);
  });

  it('does not score imputed steps, steps without a forecast, or warm-up steps', () => {
    const scorer = new StepScorer();
    const out = new StepScore();
    expect(scorer.score(0, 0, STEP, 1, false, out).scored).toBe(false);
    scorer.record(0, forecast(0, 0, 1, true));
    expect(scorer.score(0, STEP, STEP, 100, true, out).scored).toBe(false);
    expect(scorer.score(0, STEP, STEP, 3, false, out).scored).toBe(true);
    expect(out.z).toBeCloseTo(3, 12);
    expect(out.residual).toBe(3);
    // Without a model variance, nothing is scored until the running scale has warmed up.
    const warm = defaultStepScorerOptions.residualScale.warmupSteps;
    let firstScored = -1;
    for (let i = 0; i < warm + 5 && firstScored < 0; i++) {
      scorer.record(1, forecast(i * STEP, 0, 1, false));
      if (scorer.score(1, (i + 1) * STEP, STEP, i % 2 ? 1 : -1, false, out).scored) firstScored = i;
    }
    expect(firstScored).toBe(warm);
  });

  it('counts the horizons whose band, forecast h steps ago, the actual falls outside', () => {
    const scorer = new StepScorer({ ...defaultStepScorerOptions, horizons: 3 });
    const out = new StepScore();
    // Forecasts made at steps 0, 1, 2 for step 3 with bands [-1,1], [-2,2], [-3,3] at horizons 3, 2, 1.
    for (let k = 0; k < 3; k++) {
      const w = 3 - k;
      const m = new Float64Array(3);
      scorer.record(0, { t: k * STEP, stepMs: STEP, modelVersion: `v${k}`, mean: m, lower: m.map(() => -w), upper: m.map(() => w) });
    }
    scorer.score(0, 3 * STEP, STEP, 2.5, false, out);
    expect(out.bands).toBe(3);
    expect(out.horizonsOutside).toBe(2);
    expect(out.lower).toBe(-1); // the one-step-ahead band (made at step 2, width 1)
    expect(out.modelVersion).toBe('v2');
    // A forecast for another time does not match (gap in the stream).
    scorer.score(0, 7 * STEP, STEP, 2.5, false, out);
    expect(out.bands).toBe(0);
  });

  it('does not let a stuck run shrink the running scale', () => {
    const scorer = new StepScorer();
    const out = new StepScore();
    const noise = gaussian(mulberry32(9));
    let x = 0;
    let before = NaN;
    for (let i = 0; i < 400; i++) {
      const stuck = i >= 300;
      if (!stuck) x = noise();
      scorer.score(0, i * STEP, STEP, stuck ? 0.123 : x, false, out);
      scorer.record(0, forecast(i * STEP, 0, 1, false));
      if (i === 301) before = out.sigma; // the second equal value is the first the freeze applies to
      if (i === 399) {
        expect(out.flatRun).toBe(100);
        expect(out.flatSurprise).toBeGreaterThan(20);
      }
    }
    // The next real value meets the scale from before the run (the calibration factor is frozen too).
    scorer.score(0, 400 * STEP, STEP, 1, false, out);
    expect(out.sigma).toBeCloseTo(before, 12);
  });
});
