// Stuck-sensor detector. A frozen station leaves the residual small (the model follows it), so the
// residual detectors cannot see it. We track each stream's own rate q of exact repeats (decayed
// counts) and score the current run of identical real values by its surprise, (run-1)·(-log10 q):
// six equal closes of a stock are alarming, six equal integer temperatures at night are not.
import { grown, type SlotColumns } from './slot-arrays.js';

/** Decay per step of the repeat counts (memory ~500 steps). */
const DECAY = 1 - 1 / 500;

export class Flatline implements SlotColumns {
  private last = new Float64Array(0);
  private run = new Int32Array(0);
  private repeats = new Float64Array(0);
  private steps = new Float64Array(0);

  /** Adds a real value; returns the length of the run of equal values it ends (1 = changed). */
  update(slot: number, value: number): number {
    this.reserve(slot + 1);
    const repeat = value === this.last[slot];
    this.run[slot] = repeat ? this.run[slot] + 1 : 1;
    this.last[slot] = value;
    this.repeats[slot] = this.repeats[slot] * DECAY + (repeat ? 1 : 0);
    this.steps[slot] = this.steps[slot] * DECAY + 1;
    return this.run[slot];
  }

  reserve(n: number): void {
    if (this.run.length >= n) return;
    this.run = grown(this.run, n);
    this.last = grown(this.last, this.run.length, NaN);
    this.repeats = grown(this.repeats, this.run.length);
    this.steps = grown(this.steps, this.run.length);
  }

  columns() {
    return [
      [this.last, 1],
      [this.run, 1],
      [this.repeats, 1],
      [this.steps, 1],
    ] as const;
  }

  /** -log10 of the chance of the current run under the stream's repeat rate (Laplace-smoothed). */
  surprise(slot: number): number {
    const q = (this.repeats[slot] + 0.5) / (this.steps[slot] + 1);
    return (this.run[slot] - 1) * -Math.log10(q);
  }
}
