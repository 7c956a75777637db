// The combined detector: one calibrated surprise (-log10 p) per scored step from five parts that
// each look for one kind of anomaly and are each a p-value under the model (calibrated z ~ N(0,1)):
// - spike: the step's own two-sided surprise (the scorer's `surprise`);
// - level: EWMA of the clipped z (span `levelSpan`), a normal with variance λ/(2-λ) under the
//   model (the EWMA chart, Roberts 1959); divided by max(that, a learned variance of the EWMA) so
//   that autocorrelated residuals of a real model do not read as a shift;
// - variance: sum of the last `varianceWindow` (even) squared residuals over the stream's long-run
//   residual scale (memory 2000 steps), clipped at 4, χ² with that many degrees of freedom under
//   the model: a noise burst no single step flags. Not the calibrated z: its scale follows a burst
//   within a few steps (bench:alerts --forecaster=rls, variance F1 0.55 with z, 0.89 with this);
// - seasonal: the actual against the same phase one season ago (d = x_t - x_{t-S}), scaled by a
//   running scale of d and averaged like the level part: the daily shape broke even where the
//   one-step model follows it. A step this part or the residual parts flag (surprise >= 3) leaves
//   last season's value as the next reference (once), so an anomaly does not echo a season later;
// - stuck: the flatline surprise of the current run of identical values.
// The combined surprise is the largest part less log10 of the number of parts that had a value
// (Bonferroni): never anti-conservative whatever the dependence between parts, and close to
// nominal since the parts rarely exceed together under the model. Per-slot typed arrays; no
// allocation per step.
import { surpriseFromZ } from './normal-tail.js';
import { grown, type SlotColumns } from './slot-arrays.js';
import { bonferroniSurprise, chiSquareSurprise } from './surprise-tests.js';

export const COMBINED_PARTS = ['spike', 'level', 'variance', 'seasonal', 'stuck'] as const;
export type CombinedPart = (typeof COMBINED_PARTS)[number];

export interface CombinedOptions {
  /** EWMA span of the level part, in steps. */
  readonly levelSpan: number;
  /** Squared z summed by the variance part (even). */
  readonly varianceWindow: number;
  /** Steps in one season (0: no seasonal part). */
  readonly seasonSteps: number;
  /** EWMA span of the seasonal part, in steps. */
  readonly seasonalSpan: number;
}

export const defaultCombinedOptions: CombinedOptions = { levelSpan: 8, varianceWindow: 12, seasonSteps: 0, seasonalSpan: 6 };

/** z (and the scaled seasonal difference) is clipped here, so that one outlier is the spike part's. */
const CLIP = 4;
/** Memory of the learned variances (steps): long, so that an anomaly barely teaches them. */
const LEARN_RATE = 1 / 1000;
/** Residuals before the variance part uses its long-run scale (the calibrated z serves until then). */
const RESIDUAL_WARMUP = 48;
/** Memory (steps) of the variance part's long-run residual scale. */
const RESIDUAL_MEMORY = 2000;
/** Seasonal differences before the seasonal part is scored (its scale must be known first). */
const SEASONAL_WARMUP = 100;
/** Residual surprise (p <= 1e-3) above which a step keeps last season's value as the reference. */
const ECHO_GUARD = 3;

/** The parts of one step, written into by update (reused; copy what you keep). */
export interface CombinedOut {
  /** actual - forecast (data units). */
  residual: number;
  surprise: number;
  levelSurprise: number;
  varianceSurprise: number;
  seasonalSurprise: number;
  flatSurprise: number;
  combined: number;
  driver: CombinedPart | '';
}

export class CombinedDetector implements SlotColumns {
  private readonly levelAlpha: number;
  private readonly levelTheory: number;
  private readonly seasonalAlpha: number;
  private readonly seasonalTheory: number;
  private readonly w: number;
  private readonly season: number;
  private levelM = new Float64Array(0);
  private levelV = new Float64Array(0);
  private sq = new Float64Array(0);
  private sqCount = new Float64Array(0);
  private seasonVal = new Float64Array(0);
  private seasonTime = new Float64Array(0);
  private dVar = new Float64Array(0);
  private dCount = new Float64Array(0);
  private seasM = new Float64Array(0);
  private seasV = new Float64Array(0);
  private rVar = new Float64Array(0);
  private rCount = new Float64Array(0);

  constructor(readonly options: CombinedOptions = defaultCombinedOptions) {
    this.levelAlpha = 2 / (options.levelSpan + 1);
    this.levelTheory = this.levelAlpha / (2 - this.levelAlpha);
    this.seasonalAlpha = 2 / (options.seasonalSpan + 1);
    this.seasonalTheory = this.seasonalAlpha / (2 - this.seasonalAlpha);
    this.w = Math.max(2, options.varianceWindow & ~1);
    this.season = options.seasonSteps >= 2 ? options.seasonSteps : 0;
  }

  /** Scores one step with calibrated z (finite) of a real value `actual` at t; fills out. */
  update(slot: number, t: number, stepMs: number, actual: number, z: number, out: CombinedOut): void {
    this.reserve(slot + 1);
    const c = z > CLIP ? CLIP : z < -CLIP ? -CLIP : z;
    out.levelSurprise = this.ewmaTest(this.levelM, this.levelV, slot, c, this.levelAlpha, this.levelTheory);
    out.varianceSurprise = this.variance(slot, this.longRunZ(slot, out.residual, z));
    const anomalous = out.surprise >= ECHO_GUARD || out.levelSurprise >= ECHO_GUARD || out.varianceSurprise >= ECHO_GUARD;
    out.seasonalSurprise = this.season > 0 ? this.seasonal(slot, t, stepMs, actual, anomalous) : NaN;
    let best = -1;
    let max = -Infinity;
    let k = 0;
    for (let p = 0; p < COMBINED_PARTS.length; p++) {
      const v = partValue(out, p);
      if (!Number.isFinite(v) && v !== Infinity) continue;
      k++;
      if (v > max) {
        max = v;
        best = p;
      }
    }
    out.combined = k > 0 ? bonferroniSurprise(max, k) : NaN;
    out.driver = best >= 0 ? COMBINED_PARTS[best] : '';
  }

  /** EWMA of x at slot, scored against max(theory, learned) variance of the EWMA; then learns. */
  private ewmaTest(m: Float64Array, v: Float64Array, slot: number, x: number, alpha: number, theory: number): number {
    const mean = m[slot] + alpha * (x - m[slot]);
    m[slot] = mean;
    const learned = v[slot];
    const u = mean / Math.sqrt(learned > theory ? learned : theory);
    // Gross deviations are clipped before they teach the variance, so an anomaly does not hide itself.
    const m2 = mean * mean;
    const cap = 16 * theory;
    v[slot] = learned + LEARN_RATE * ((m2 < cap ? m2 : cap) - learned);
    return surpriseFromZ(u);
  }

  /**
   * The residual over the long-run residual scale, clipped (the calibrated z during warm-up); then
   * learns the scale from it, clipped at CLIP scales (so one outlier barely moves it). Every step
   * teaches it: leaving out the tail would bias the scale low and the χ² tail is steep (+1.5% in
   * the scale's square is +13% false alarms at p = 1%).
   */
  private longRunZ(slot: number, residual: number, z: number): number {
    const n = this.rCount[slot];
    const sd = Math.sqrt(this.rVar[slot]);
    const warm = n >= RESIDUAL_WARMUP && sd > 0;
    const x = warm ? residual / sd : z;
    if (Number.isFinite(residual)) {
      const a = Math.abs(residual);
      const r = warm && a > CLIP * sd ? CLIP * sd : a;
      this.rVar[slot] += (n < RESIDUAL_MEMORY ? 1 / (n + 1) : 1 / RESIDUAL_MEMORY) * (r * r - this.rVar[slot]);
      this.rCount[slot] = n + 1;
    }
    return x > CLIP ? CLIP : x < -CLIP ? -CLIP : x;
  }

  private variance(slot: number, x: number): number {
    const c2 = x * x;
    const w = this.w;
    const n = this.sqCount[slot];
    this.sq[slot * w + (n % w)] = c2;
    this.sqCount[slot] = n + 1;
    if (n + 1 < w) return NaN;
    let q = 0;
    for (let i = 0; i < w; i++) q += this.sq[slot * w + i];
    return chiSquareSurprise(q, w);
  }

  private seasonal(slot: number, t: number, stepMs: number, actual: number, anomalous: boolean): number {
    const S = this.season;
    const k = Math.round(t / stepMs) % S;
    const i = slot * S + (k < 0 ? k + S : k);
    const lag = S * stepMs;
    // The reference is the value one season ago, or two where last season's was left out as anomalous.
    const age = t - this.seasonTime[i];
    let surprise = NaN;
    if (age === lag || age === 2 * lag) surprise = this.seasonalTest(slot, actual - this.seasonVal[i]);
    // A step flagged here or by the residual parts (>= 3) is not next season's reference, once: a
    // reference two seasons old is replaced whatever, so a lasting change becomes the new normal.
    if (!(age === lag && (anomalous || surprise >= ECHO_GUARD))) {
      this.seasonVal[i] = actual;
      this.seasonTime[i] = t;
    }
    return surprise;
  }

  /** Scores a seasonal difference d against its running scale (NaN during warm-up), then learns it. */
  private seasonalTest(slot: number, d: number): number {
    const n = this.dCount[slot];
    const sigma = Math.sqrt(this.dVar[slot]);
    // Scale of d: a running mean of d² during warm-up, then an EWMA of d² clipped at 5 scales.
    const dc = n >= SEASONAL_WARMUP && Math.abs(d) > 5 * sigma ? 5 * sigma : Math.abs(d);
    const rate = n < 1 / LEARN_RATE ? 1 / (n + 1) : LEARN_RATE;
    this.dVar[slot] += rate * (dc * dc - this.dVar[slot]);
    this.dCount[slot] = n + 1;
    if (n < SEASONAL_WARMUP || !(sigma > 0)) return NaN;
    const x = d / sigma;
    const c = x > CLIP ? CLIP : x < -CLIP ? -CLIP : x;
    return this.ewmaTest(this.seasM, this.seasV, slot, c, this.seasonalAlpha, this.seasonalTheory);
  }

  columns() {
    return [
      [this.levelM, 1],
      [this.levelV, 1],
      [this.sq, this.w],
      [this.sqCount, 1],
      [this.seasonVal, this.season],
      [this.seasonTime, this.season],
      [this.dVar, 1],
      [this.dCount, 1],
      [this.seasM, 1],
      [this.seasV, 1],
      [this.rVar, 1],
      [this.rCount, 1],
    ] as const;
  }

  reserve(n: number): void {
    if (this.levelM.length >= n) return;
    this.levelM = grown(this.levelM, n);
    const len = this.levelM.length;
    this.levelV = grown(this.levelV, len);
    this.sq = grown(this.sq, len * this.w);
    this.sqCount = grown(this.sqCount, len);
    this.seasonVal = grown(this.seasonVal, len * this.season);
    this.seasonTime = grown(this.seasonTime, len * this.season, NaN);
    this.dVar = grown(this.dVar, len);
    this.dCount = grown(this.dCount, len);
    this.seasM = grown(this.seasM, len);
    this.seasV = grown(this.seasV, len);
    this.rVar = grown(this.rVar, len);
    this.rCount = grown(this.rCount, len);
  }
}

/** Part p's surprise in out (NaN where the part had no value this step). */
export function partValue(out: CombinedOut, p: number): number {
  switch (p) {
    case 0:
      return out.surprise;
    case 1:
      return out.levelSurprise;
    case 2:
      return out.varianceSurprise;
    case 3:
      return out.seasonalSurprise;
    default:
      return out.flatSurprise;
  }
}
