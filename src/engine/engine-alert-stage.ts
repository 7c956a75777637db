import { AlertEngine } from '../alerting/alert-engine.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { EngineListener, EngineStats, StepRow } from './engine-listener.js';
import { STEP_FORECAST, STEP_IMPUTED, STEP_IN_FIT, STEP_ROW, STEP_WARM, type ForecastSteps } from './engine-forecast-steps.js';

// The alert stage (the alertOn operator's work): owns the pipeline's AlertEngine and scores the
// steps the forecast stage recorded (engine-forecast-steps.ts), in the order they were made. Per
// step: listener.scoring, the alert engine's step (the actual against what was forecast for it, the
// rules, then the step's own forecast recorded for the steps ahead), the StepRow with its score,
// the step's alert events, listener.scored. Each stream's alert state depends only on its own steps
// in order, so scoring a batch's steps after all of them were forecast gives what scoring each
// right after its forecast gave.

/** The alert engine's input, refilled per step from the recorded arrays (it copies what it keeps). */
interface AlertInput {
  t: number;
  stepMs: number;
  modelVersion: string;
  mean: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  logVar?: Float64Array;
}

export class AlertStage {
  readonly alerts: AlertEngine;
  /** Newest step time scored: the time of the events flush() settles. */
  private lastT = -Infinity;
  /** Warmed-up streams' input (with the model's variance) and warming-up streams' (without). */
  private readonly warm: AlertInput;
  private readonly cold: AlertInput;
  /** The StepRow refilled per step for a listener that copies what it keeps (stepCopies). */
  private readonly row: { -readonly [K in keyof StepRow]: StepRow[K] };

  constructor(
    pipeline: string,
    alerting: PipelineSpec['alerting'],
    private readonly stepMs: number,
    readonly steps: ForecastSteps,
    private readonly listener: EngineListener,
    private readonly stats: EngineStats,
  ) {
    this.alerts = new AlertEngine(pipeline, alerting, undefined, stepMs); // step_ms: the combined detector's default season (a day)
    const H = steps.horizon;
    const arrays = () => ({ mean: new Float64Array(H), lower: new Float64Array(H), upper: new Float64Array(H) });
    this.warm = { t: 0, stepMs, modelVersion: '', ...arrays(), logVar: new Float64Array(H) };
    this.cold = { t: 0, stepMs, modelVersion: '', ...arrays() };
    this.row = {
      pipeline,
      key: '',
      t: 0,
      actual: 0,
      imputed: false,
      forecast: 0,
      lower: 0,
      upper: 0,
      score: 0,
      surprise: 0,
      likelihood: 0,
      baseline: 0,
    };
  }

  /** Scores every step the last forecast call recorded, then forgets them. */
  score(): void {
    const s = this.steps;
    const n = s.count;
    const listener = this.listener;
    const H = s.horizon;
    for (let i = 0; i < n; i++) {
      listener.scoring?.(s, i);
      const f = s.flags[i];
      const imputed = (f & STEP_IMPUTED) !== 0;
      const t = s.t[i];
      let input: AlertInput | undefined;
      if ((f & STEP_FORECAST) !== 0) {
        input = (f & STEP_WARM) !== 0 ? this.warm : this.cold;
        input.t = t;
        input.modelVersion = s.versions[i];
        const o = i * H;
        for (let h = 0; h < H; h++) {
          input.mean[h] = s.mean[o + h];
          input.lower[h] = s.lower[o + h];
          input.upper[h] = s.upper[o + h];
        }
        if (input.logVar !== undefined) for (let h = 0; h < H; h++) input.logVar[h] = s.logVar[o + h];
      }
      const key = s.keys[i];
      const events = this.alerts.step(key, t, this.stepMs, s.actual[i], imputed || (f & STEP_IN_FIT) !== 0, input);
      if (t > this.lastT) this.lastT = t;
      if ((f & STEP_ROW) !== 0) this.report(i, key, t, imputed);
      for (const e of events) {
        this.stats.alerts++;
        listener.alert?.(e);
      }
      listener.scored?.(s, i);
    }
    s.clear();
  }

  /**
   * Settles what waits for later steps (group rules' open event times, the storm window's summary):
   * at the end of the data, when no later step will come.
   */
  flush(): void {
    if (this.lastT === -Infinity) return;
    for (const e of this.alerts.flush(this.lastT)) {
      this.stats.alerts++;
      this.listener.alert?.(e);
    }
  }

  /** The StepRow of a step that had a one-step forecast pending for it, with the alert engine's score. */
  private report(i: number, key: string, t: number, imputed: boolean): void {
    const sc = this.alerts.lastScore;
    this.steps.score[i] = sc.scored ? sc.score : NaN;
    const listener = this.listener;
    if (listener.step === undefined) return;
    const r = listener.stepCopies === true ? this.row : { ...this.row };
    const s = this.steps;
    r.key = key;
    r.t = t;
    r.actual = s.actual[i];
    r.imputed = imputed;
    r.forecast = s.rowMean[i];
    r.lower = s.rowLower[i];
    r.upper = s.rowUpper[i];
    r.score = sc.scored ? sc.score : NaN;
    r.surprise = sc.scored ? sc.surprise : NaN;
    r.likelihood = sc.scored ? sc.likelihood : NaN;
    r.baseline = imputed ? NaN : sc.baseline;
    listener.step(r);
  }
}
