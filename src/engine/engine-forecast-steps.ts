import { grownTo } from './grow.js';

// The grid steps one forecast call made, in the order it made them: what the alert stage
// (engine-alert-stage.ts, the alertOn operator) needs to score each step after the forecast stage
// ran. Struct-of-arrays reused from batch to batch (grown by doubling), so recording a step writes
// numbers and two string references, never an object. The forecast stage clears it at the start of
// each call: its steps must be scored before the next forecast call (alertOn directly after forecast).

/** Step flags (bits of `flags`). */
export const STEP_IMPUTED = 1;
/** Not to be scored although observed: inside the offline fit's window (in-sample). */
export const STEP_IN_FIT = 2;
/** The step has a forecast (mean, lower, upper at its offset). */
export const STEP_FORECAST = 4;
/** The stream is warmed up: its forecast carries the model's log-variance (logVar at its offset). */
export const STEP_WARM = 8;
/** A one-step forecast was pending for this step (rowMean, rowLower, rowUpper): it gets a StepRow. */
export const STEP_ROW = 16;

export class ForecastSteps {
  count = 0;
  /** Per step: the stream and the model version its forecast came from (references, not copies). */
  readonly keys: string[] = [];
  readonly versions: string[] = [];
  slot = new Int32Array(0);
  t = new Float64Array(0);
  actual = new Float64Array(0);
  flags = new Uint8Array(0);
  /** The one-step forecast that was pending for the step (made one step earlier), when STEP_ROW. */
  rowMean = new Float64Array(0);
  rowLower = new Float64Array(0);
  rowUpper = new Float64Array(0);
  /** The step's forecast for t + 1 .. t + H at [i·H, (i+1)·H), data units (after model.range). */
  mean = new Float64Array(0);
  lower = new Float64Array(0);
  upper = new Float64Array(0);
  /** The model's log-variance per horizon step (data units, before model.range), when STEP_WARM. */
  logVar = new Float64Array(0);
  /** Written by the alert stage: the step's calibrated score, NaN where it scored nothing or had no row. */
  score = new Float64Array(0);

  constructor(readonly horizon: number) {}

  /** Forgets the steps of the previous call. */
  clear(): void {
    this.count = 0;
  }

  /** Appends a step (its forecast arrays are then written at index·horizon) and returns its index. */
  add(key: string, slot: number, t: number, actual: number, flags: number, version: string): number {
    const i = this.count++;
    if (this.slot.length < this.count) this.grow();
    this.keys[i] = key;
    this.versions[i] = version;
    this.slot[i] = slot;
    this.t[i] = t;
    this.actual[i] = actual;
    this.flags[i] = flags;
    this.score[i] = NaN;
    return i;
  }

  /** Records the pending one-step forecast the step is paired with (sets STEP_ROW). */
  pair(i: number, mean: number, lower: number, upper: number): void {
    this.flags[i] |= STEP_ROW;
    this.rowMean[i] = mean;
    this.rowLower[i] = lower;
    this.rowUpper[i] = upper;
  }

  private grow(): void {
    const n = Math.max(64, this.count * 2);
    const H = this.horizon;
    this.slot = grownTo(this.slot, n);
    this.t = grownTo(this.t, n);
    this.actual = grownTo(this.actual, n);
    this.flags = grownTo(this.flags, n);
    this.rowMean = grownTo(this.rowMean, n);
    this.rowLower = grownTo(this.rowLower, n);
    this.rowUpper = grownTo(this.rowUpper, n);
    this.score = grownTo(this.score, n);
    this.mean = grownTo(this.mean, n * H);
    this.lower = grownTo(this.lower, n * H);
    this.upper = grownTo(this.upper, n * H);
    this.logVar = grownTo(this.logVar, n * H);
  }
}
