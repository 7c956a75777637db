import { Stage } from './stage.js';
import { AGG, type ResolvedOptions } from './resolved-options.js';

// Resampling of one stream to the fixed grid: records of one step [b, b + step) are aggregated per
// field (mean, last, sum, min, max); the step is emitted when a record of a later step arrives or the
// watermark passes its end. Slot layout (Float64): open step start (NaN: none), last emitted step
// start, then per field: accumulator, count, time of the value kept by "last".

/** Receives one emitted step: `vals[0..F)` are the aggregates, NaN for fields without a record. */
export type BucketFn = (slot: number, t: number, vals: Float64Array) => void;

export class ResampleStage extends Stage {
  readonly size64: number;
  readonly size16 = 0;
  private readonly fields: number;
  private readonly step: number;
  private readonly agg: Int32Array;
  private readonly out: Float64Array;

  constructor(
    o: ResolvedOptions,
    private readonly emit: BucketFn,
  ) {
    super();
    this.fields = o.fieldCount;
    this.step = o.stepMs;
    this.agg = o.aggregation;
    this.size64 = 2 + 3 * o.fieldCount;
    this.out = new Float64Array(o.fieldCount);
  }

  init(slot: number): void {
    const f = this.arena.f64;
    const b = this.base64(slot);
    f[b] = NaN;
    f[b + 1] = -Infinity;
  }

  stepOf(t: number): number {
    return Math.floor(t / this.step) * this.step;
  }

  /** Adds one record; false when its step was already emitted (the caller dead-letters it as late). */
  add(slot: number, t: number, vals: Float64Array, off: number): boolean {
    const f = this.arena.f64;
    const b = this.base64(slot);
    const bs = Math.floor(t / this.step) * this.step;
    if (bs <= f[b + 1]) return false;
    const open = f[b];
    if (open !== open || bs > open) {
      if (open === open) this.emitOpen(slot, b);
      this.open(b, bs);
    } else if (bs < open) {
      return false;
    }
    const F = this.fields;
    for (let i = 0; i < F; i++) {
      const v = vals[off + i];
      if (v !== v) continue;
      const a = b + 2 + 3 * i;
      const n = f[a + 1];
      f[a + 1] = n + 1;
      if (n === 0) {
        f[a] = v;
        f[a + 2] = t;
        continue;
      }
      switch (this.agg[i]) {
        case AGG.mean:
        case AGG.sum:
          f[a] += v;
          break;
        case AGG.min:
          if (v < f[a]) f[a] = v;
          break;
        case AGG.max:
          if (v > f[a]) f[a] = v;
          break;
        default:
          if (t >= f[a + 2]) {
            f[a] = v;
            f[a + 2] = t;
          }
      }
    }
    return true;
  }

  /** Where the open step's start (NaN: none) is within a slot's Float64 part. */
  get openIndex(): number {
    return this.off64;
  }

  /** Whether the stream has a step open (one a record or the watermark will close). */
  hasOpenStep(slot: number): boolean {
    const open = this.arena.f64[this.base64(slot)];
    return open === open;
  }

  /** Emits the open step if it ends at or before `limit`. */
  closeBefore(slot: number, limit: number): void {
    const f = this.arena.f64;
    const b = this.base64(slot);
    const open = f[b];
    if (open === open && open + this.step <= limit) this.emitOpen(slot, b);
  }

  private open(b: number, bs: number): void {
    const f = this.arena.f64;
    f[b] = bs;
    for (let i = 0; i < this.fields; i++) f[b + 3 + 3 * i] = 0;
  }

  private emitOpen(slot: number, b: number): void {
    const f = this.arena.f64;
    const out = this.out;
    for (let i = 0; i < this.fields; i++) {
      const a = b + 2 + 3 * i;
      const n = f[a + 1];
      out[i] = n === 0 ? NaN : this.agg[i] === AGG.mean ? f[a] / n : f[a];
    }
    const t = f[b];
    f[b + 1] = t;
    f[b] = NaN;
    this.emit(slot, t, out);
  }
}
