import type { AlertEvent } from '../core/alert-event.js';
import type { DeadLetter, Forecast } from '../core/types.js';
import type { HeadRow } from '../forecasting/online-head.js';
import type { ForecastSteps } from './engine-forecast-steps.js';
import type { TickBuffer } from './tick-buffer.js';

// What PipelineEngine reports to the outside: the listener's callbacks, the step-tap hook and the
// counters. Kept apart from the engine so that consumers (the runtime, replay, retraining) depend on
// these shapes, not on the engine's internals.

/** One scored step: the actual and what was forecast one step earlier for it. */
export interface StepRow {
  readonly pipeline: string;
  readonly key: string;
  readonly t: number;
  readonly actual: number;
  readonly imputed: boolean;
  readonly forecast: number;
  readonly lower: number;
  readonly upper: number;
  /**
   * The alert engine's calibrated anomaly score of this step (AlertEngine.lastScore: 1 - two-sided
   * tail probability of the calibrated z); NaN when it did not score the step (imputed, warming up).
   */
  readonly score: number;
  /** -log10 of the same tail probability (unbounded, AlertEngine.lastScore.surprise); NaN when unscored. */
  readonly surprise: number;
  /** The stream's anomaly likelihood after this step (anomaly-likelihood.ts); NaN when unscored or warming up. */
  readonly likelihood: number;
  /** -log10 p of the value's smoothed deviation from the stream's slow baseline (baseline-deviation.ts); NaN while warming up. */
  readonly baseline: number;
}

export interface EngineListener {
  /** Every grid step's value (observed or imputed), before its forecast (the forecast stage). */
  actual?(key: string, t: number, value: number, imputed: boolean): void;
  /** Steps that had a one-step forecast, with the alert engine's score (the alert stage). */
  step?(row: StepRow): void;
  /** true: `step` copies what it keeps of a row, so the engine refills one StepRow per step (no allocation). */
  readonly stepCopies?: boolean;
  /** A forecast made at f.t, with the value observed at f.t (null where imputed). */
  forecast?(f: Forecast, actual: number | null): void;
  /**
   * true: `forecast` copies what it keeps (neither the Forecast nor its arrays outlive the call), so
   * the engine hands it one object and arrays reused from step to step: no allocation per forecast.
   * Absent: each forecast is the listener's own.
   */
  readonly forecastCopies?: boolean;
  alert?(a: AlertEvent): void;
  /**
   * The alert stage, per step in the order the steps were made: `scoring` before the step's row and
   * alert events, `scored` after them (steps.score[i] then holds its score). What must see a step's
   * value, alerts and forecast interleaved as they happen (the classifiers, the wide replay) reads
   * the step here: the forecast stage reports all of a batch's actuals and forecasts first.
   */
  scoring?(steps: ForecastSteps, i: number): void;
  scored?(steps: ForecastSteps, i: number): void;
  deadLetter?(d: DeadLetter): void;
  /** How far behind its stream's newest event time a record arrived (0 when in order), in ms. */
  lateness?(ms: number): void;
  /** Streams stepped together in one batched model call. */
  modelBatch?(size: number): void;
  /** model.online_head: each row it learned from, with its forecasts (a reused view). */
  headRow?(row: HeadRow): void;
}

/** Sees every stepped row with its model inputs and outputs (background retraining's replay buffer). */
export interface StepTap {
  step(key: string, ticks: TickBuffer, i: number, y: Float32Array, yOff: number): void;
  /**
   * Event points in step counts (event-time retraining): the engine makes at most this many more
   * steps in one model call, then calls afterSteps() after their taps and emits, so something
   * (a model swap) happens after an exact step whatever the batching.
   */
  stepsToEvent?(): number;
  afterSteps?(): void;
}

export interface EngineStats {
  observations: number;
  steps: number;
  forecasts: number;
  alerts: number;
  deadLetters: Record<string, number>;
  batches: number;
  lastBatchSize: number;
}

export function emptyEngineStats(): EngineStats {
  return { observations: 0, steps: 0, forecasts: 0, alerts: 0, deadLetters: {}, batches: 0, lastBatchSize: 0 };
}
