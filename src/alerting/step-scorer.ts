// Scores one real step of one stream with the three detectors. Pure arithmetic on per-slot typed
// arrays: O(1) per step (the dynamic threshold's refit is amortised) and no allocation per step.
import { AnomalyLikelihood, defaultAnomalyLikelihoodOptions, type AnomalyLikelihoodOptions } from './anomaly-likelihood.js';
import { BaselineDeviation, defaultBaselineDeviationOptions, type BaselineDeviationOptions } from './baseline-deviation.js';
import { CombinedDetector, type CombinedOptions, type CombinedPart } from './combined-detector.js';
import { Cusum, defaultCusumOptions, type CusumOptions } from './cusum.js';
import { Flatline } from './flatline.js';
import { DynamicThreshold, type DynamicThresholdOptions } from './dynamic-threshold.js';
import { ForecastRing, RecalledForecast, type ForecastInput } from './forecast-ring.js';
import { scoreFromZ, surpriseFromZ } from './normal-tail.js';
import { TailCalibration, type TailCalibrationOptions } from './tail-calibration.js';
import { ResidualScale, type ResidualScaleOptions } from './residual-scale.js';
import type { SlotColumns } from './slot-arrays.js';

/** Runs of identical values beyond this surprise (1 in 100) stop the scale updates. */
const FREEZE_FLAT_SURPRISE = 2;

export interface StepScorerOptions {
  /** Horizons of past forecasts kept for the multi-horizon deviation detector. */
  readonly horizons: number;
  readonly residualScale: ResidualScaleOptions;
  readonly dynamicThreshold: DynamicThresholdOptions;
  /** Online correction of heavy tails (see tail-calibration.ts); null scores the raw z. */
  readonly tailCalibration: TailCalibrationOptions | null;
  /** Two-sided CUSUM on the calibrated z (persistent shifts). */
  readonly cusum: CusumOptions;
  /** Recent surprise against the stream's own long-run surprise (anomaly-likelihood.ts). */
  readonly likelihood: AnomalyLikelihoodOptions;
  /** The value against the stream's own slow, freezing baseline (baseline-deviation.ts): persistent faults. */
  readonly baseline?: BaselineDeviationOptions;
  /** The combined detector's parts (combined-detector.ts); null or absent: not computed (no rule reads it). */
  readonly combined?: CombinedOptions | null;
}

export const defaultStepScorerOptions: StepScorerOptions = {
  horizons: 12,
  residualScale: { halfLifeSteps: 24, warmupSteps: 48, clipZ: 5 },
  dynamicThreshold: { smoothingSpan: 6, windowSteps: 240, refitEvery: 12, zMin: 2, zMax: 10, zStep: 0.5, prune: 0.13, floorScales: 0.5 },
  tailCalibration: { rate: 0.05, maxFactor: 4, warmup: 50 },
  cusum: defaultCusumOptions,
  likelihood: defaultAnomalyLikelihoodOptions,
  baseline: defaultBaselineDeviationOptions,
};

/** The result of scoring one step; one instance is reused, copy what you keep. */
export class StepScore {
  /** False for imputed steps, steps nothing was forecast for, and streams still warming up. */
  scored = false;
  actual = NaN;
  forecast = NaN;
  lower = NaN;
  upper = NaN;
  modelVersion = '';
  residual = NaN;
  /** Scale used: the model's exp(logVar/2), else the running residual scale, times the tail calibration factor. */
  sigma = NaN;
  z = NaN;
  /** 1 - P(|Z| >= |z|): high = anomalous, calibrated so P(score > s) = 1 - s under the model. */
  score = NaN;
  /** -log10 P(|Z| >= |z|), unbounded (no saturation where score rounds to 1). */
  surprise = NaN;
  /** Anomaly likelihood: -log10 upper tail of the recent mean surprise against this stream's long-run one. */
  likelihood = NaN;
  /** -log10 p of the smoothed deviation from the stream's slow baseline; set on every real step once warm, scored or not. */
  baseline = NaN;
  /** Smoothed |residual| / dynamic threshold ε; >= 1 is above the threshold. */
  dynamicLevel = NaN;
  /** Horizons h whose band forecast h steps ago the actual lies outside, of `bands` available. */
  horizonsOutside = 0;
  bands = 0;
  /** Length of the run of identical real values this step ends (1 = the value changed). */
  flatRun = 0;
  /** -log10 of the chance of that run under the stream's own rate of repeated values. */
  flatSurprise = 0;
  /** Combined detector (combined-detector.ts), NaN when off: the parts' surprises, then max - log10(parts). */
  levelSurprise = NaN;
  varianceSurprise = NaN;
  seasonalSurprise = NaN;
  combined = NaN;
  /** The part with the largest surprise ('' when off). */
  driver: CombinedPart | '' = '';
  /** Two-sided CUSUM of the calibrated z in sigmas (the larger side); >= its h is an alarm, then it restarts. */
  cusum = NaN;
}

export class StepScorer {
  private readonly ring: ForecastRing;
  private readonly scale: ResidualScale;
  private readonly dynamic: DynamicThreshold;
  private readonly flat = new Flatline();
  private readonly cusum: Cusum;
  private readonly likelihood: AnomalyLikelihood;
  private readonly baseline: BaselineDeviation;
  private readonly combined: CombinedDetector | null;
  private readonly calibration: TailCalibration | null;
  private readonly recalled = new RecalledForecast();

  constructor(readonly options: StepScorerOptions = defaultStepScorerOptions) {
    this.ring = new ForecastRing(options.horizons);
    this.scale = new ResidualScale(options.residualScale);
    this.dynamic = new DynamicThreshold(options.dynamicThreshold);
    this.calibration = options.tailCalibration ? new TailCalibration(options.tailCalibration) : null;
    this.cusum = new Cusum(options.cusum);
    this.likelihood = new AnomalyLikelihood(options.likelihood);
    this.baseline = new BaselineDeviation(options.baseline ?? defaultBaselineDeviationOptions);
    this.combined = options.combined ? new CombinedDetector(options.combined) : null;
  }

  /** Scores the actual at time t against what was forecast for t. Imputed steps are not scored. */
  score(slot: number, t: number, stepMs: number, actual: number, imputed: boolean, out: StepScore): StepScore {
    out.scored = false;
    out.actual = actual;
    out.forecast = out.lower = out.upper = out.residual = out.sigma = out.z = out.score = out.surprise = NaN;
    out.dynamicLevel = out.cusum = out.likelihood = out.baseline = NaN;
    out.levelSurprise = out.varianceSurprise = out.seasonalSurprise = out.combined = NaN;
    out.driver = '';
    out.bands = out.horizonsOutside = out.flatRun = out.flatSurprise = 0;
    const r = this.recalled;
    if (imputed || !Number.isFinite(actual)) return out;
    out.flatRun = this.flat.update(slot, actual);
    out.flatSurprise = this.flat.surprise(slot);
    // Needs no forecast: a stuck sensor's repeats are scored but not learnt.
    out.baseline = this.baseline.update(slot, actual, out.flatSurprise <= FREEZE_FLAT_SURPRISE);
    if (!this.ring.recall(slot, t, stepMs, actual, r)) return out;
    if (!Number.isFinite(r.mean)) return out;
    out.forecast = r.mean;
    out.lower = r.lower;
    out.upper = r.upper;
    out.modelVersion = r.modelVersion;
    out.bands = r.bands;
    out.horizonsOutside = r.outside;
    const residual = actual - r.mean;
    out.residual = residual;
    const sigma = Number.isFinite(r.logVar) ? Math.exp(0.5 * r.logVar) : this.scale.sigma(slot);
    // A run of repeated values that is itself surprising is a stuck sensor, not noise: it must not
    // shrink the scale, the dynamic threshold or the tail calibration the next real steps meet.
    const frozen = out.flatSurprise > FREEZE_FLAT_SURPRISE;
    const factor = this.calibration ? this.calibration.factor(slot) : 1;
    if (!frozen) {
      this.scale.update(slot, residual);
      out.dynamicLevel = this.dynamic.update(slot, Math.abs(residual), sigma > 0 ? sigma * factor : 0);
    }
    if (!(sigma > 0)) return out;
    const zRaw = residual / sigma;
    if (!frozen) this.calibration?.update(slot, zRaw);
    out.sigma = sigma * factor;
    out.z = zRaw / factor;
    out.score = scoreFromZ(out.z);
    out.surprise = surpriseFromZ(out.z);
    out.cusum = this.cusum.update(slot, out.z);
    // A stuck sensor's steps (frozen) must not teach the likelihood what normal surprise is.
    if (!frozen) out.likelihood = this.likelihood.update(slot, out.surprise);
    this.combined?.update(slot, t, stepMs, actual, out.z, out);
    out.scored = true;
    return out;
  }

  /** Every per-stream state, in a fixed order (for snapshots). */
  parts(): SlotColumns[] {
    const parts: SlotColumns[] = [this.ring, this.scale, this.dynamic, this.flat];
    if (this.calibration) parts.push(this.calibration);
    parts.push(this.cusum, this.likelihood, this.baseline);
    if (this.combined) parts.push(this.combined);
    return parts;
  }

  modelVersion(slot: number): string {
    return this.ring.version(slot);
  }

  setModelVersion(slot: number, version: string): void {
    this.ring.setVersion(slot, version);
  }

  /** Remembers a forecast made now, for scoring the steps it covers. */
  record(slot: number, forecast: ForecastInput): void {
    this.ring.record(slot, forecast);
  }
}
