import { grownTo } from './grow.js';

// Per slot: the one-step forecast made at the stream's last step, waiting for the step it forecast
// (StepRow pairs them). Struct-of-arrays so the hot path writes numbers, not objects; t is NaN when
// nothing is pending.

/** [t, mean, lower, upper] of a pending forecast, as checkpoints hold it. */
export type PendingTuple = readonly [number, number, number, number];

export class PendingForecasts {
  t = new Float64Array(0);
  mean = new Float64Array(0);
  lower = new Float64Array(0);
  upper = new Float64Array(0);

  /** Room for `length` slots (new slots pending nothing). */
  grow(length: number): void {
    this.t = grownTo(this.t, length, NaN);
    this.mean = grownTo(this.mean, length);
    this.lower = grownTo(this.lower, length);
    this.upper = grownTo(this.upper, length);
  }

  set(slot: number, t: number, mean: number, lower: number, upper: number): void {
    this.t[slot] = t;
    this.mean[slot] = mean;
    this.lower[slot] = lower;
    this.upper[slot] = upper;
  }

  clear(slot: number): void {
    this.t[slot] = NaN;
  }

  tupleOf(slot: number): PendingTuple | null {
    return Number.isNaN(this.t[slot]) ? null : [this.t[slot], this.mean[slot], this.lower[slot], this.upper[slot]];
  }

  /** Restores a slot from tupleOf's value (null: nothing pending). */
  restore(slot: number, p: PendingTuple | null): void {
    this.t[slot] = p?.[0] ?? NaN;
    this.mean[slot] = p?.[1] ?? NaN;
    this.lower[slot] = p?.[2] ?? NaN;
    this.upper[slot] = p?.[3] ?? NaN;
  }
}
