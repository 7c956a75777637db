// One score per asset (a machine with several sensor streams) per timestamp, from its streams'
// per-step scores on the surprise scale (-log10 p): the largest of them (a fault on one sensor is an
// asset fault; each stream's score is already calibrated against its own history), held with a
// geometric decay so that one surprising change keeps the asset flagged for a while instead of
// one step: a one-step forecaster follows a new level within a few steps, so the surprise of a
// persistent fault shows at its onset and end, not in between. Scores that already persist through
// a fault (the baseline deviation, baseline-deviation.ts, and the asset's joint deviation,
// multivariate-deviation.ts) join unheld. Per asset O(sensors), no allocation.
import { assetScore } from './anomaly-likelihood.js';

export interface AssetScoreOptions {
  /** Per-step factor of the held score (0: no hold). 0.97: a surprise of 10 stays above 3 for ~40 steps. */
  readonly hold: number;
}

export const defaultAssetScoreOptions: AssetScoreOptions = { hold: 0.97 };

export class AssetScore {
  private held = 0;

  constructor(readonly options: AssetScoreOptions = defaultAssetScoreOptions) {}

  /**
   * The asset's score after one timestamp, given its sensors' step scores then (held; NaN: a sensor
   * not scored at this time), optionally persistent per-sensor scores (not held) and a persistent
   * score of the whole asset (`joint`, e.g. multivariate-deviation.ts; not held). NaN while nothing
   * was scored.
   */
  update(sensorScores: ArrayLike<number>, persistent?: ArrayLike<number>, joint = NaN): number {
    const now = assetScore(sensorScores);
    const perSensor = persistent ? assetScore(persistent) : NaN;
    const level = joint > perSensor || perSensor !== perSensor ? joint : perSensor;
    if (Number.isNaN(now) && this.held === 0 && Number.isNaN(level)) return NaN;
    const decayed = this.held * this.options.hold;
    this.held = now > decayed ? now : decayed;
    return level > this.held ? level : this.held;
  }

  reset(): void {
    this.held = 0;
  }
}
