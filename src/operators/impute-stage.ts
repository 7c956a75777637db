import { Stage } from './stage.js';
import { IMPUTE, type ResolvedOptions } from './resolved-options.js';

// Fills missing grid steps of one stream. A gap is filled when the next real step arrives, so that
// linear interpolation knows both ends and online and offline runs agree. A gap longer than
// max_gap_steps is not filled: the next step is marked broken. Fields missing inside a real step are
// filled too (linear falls back to the last value there, the right end being unknown).
// Slot layout (Float64): last emitted step time, per field: last value, observed count, running mean;
// seasonal adds a ring of season_steps values per field indexed by (t / step) mod season.

/** `mask[i]` = 1 where field i was imputed; `broken`: a too-long gap preceded this step. */
export type TickFn = (slot: number, t: number, vals: Float64Array, mask: Uint8Array, broken: boolean) => void;

export class ImputeStage extends Stage {
  readonly size64: number;
  readonly size16 = 0;
  /** Counters drained by the processor. */
  imputedSteps = 0;
  brokenGaps = 0;
  brokenSteps = 0;
  private readonly fields: number;
  private readonly step: number;
  private readonly method: number;
  private readonly maxGap: number;
  private readonly season: number;
  private readonly ring: number;
  private readonly fill: Float64Array;
  private readonly mask: Uint8Array;
  /** Values before the gap: linear interpolation's left end. */
  private readonly anchor: Float64Array;

  constructor(
    o: ResolvedOptions,
    private readonly emit: TickFn,
  ) {
    super();
    this.fields = o.fieldCount;
    this.step = o.stepMs;
    this.method = o.imputeMethod;
    this.maxGap = o.maxGapSteps;
    this.season = this.method === IMPUTE.seasonal ? o.seasonSteps : 0;
    this.ring = 1 + 3 * o.fieldCount;
    this.size64 = this.ring + this.season * o.fieldCount;
    this.fill = new Float64Array(o.fieldCount);
    this.mask = new Uint8Array(o.fieldCount);
    this.anchor = new Float64Array(o.fieldCount);
  }

  init(slot: number): void {
    const f = this.arena.f64;
    const b = this.base64(slot);
    f[b] = NaN;
    for (let i = 0; i < this.fields; i++) {
      f[b + 1 + 3 * i] = NaN;
      f[b + 2 + 3 * i] = 0;
      f[b + 3 + 3 * i] = 0;
    }
    f.fill(NaN, b + this.ring, b + this.size64);
  }

  /** One real (resampled) step; emits the filled gap before it, then the step itself. */
  push(slot: number, t: number, vals: Float64Array): void {
    const f = this.arena.f64;
    const b = this.base64(slot);
    const last = f[b];
    let broken = false;
    if (last === last) {
      const gap = Math.round((t - last) / this.step) - 1;
      if (gap > this.maxGap) {
        broken = true;
        this.brokenGaps++;
        this.brokenSteps += gap;
        f.fill(NaN, b + this.ring, b + this.size64);
      } else if (gap > 0) {
        this.fillGap(slot, b, last, gap, vals);
      }
    }
    const F = this.fields;
    for (let i = 0; i < F; i++) {
      const v = vals[i];
      const a = b + 1 + 3 * i;
      if (v === v) {
        this.fill[i] = v;
        this.mask[i] = 0;
        const n = f[a + 1] + 1;
        f[a + 1] = n;
        f[a + 2] += (v - f[a + 2]) / n;
      } else {
        this.fill[i] = broken ? NaN : this.estimate(b, i, t, NaN, 0, 1);
        this.mask[i] = 1;
      }
    }
    this.commit(slot, b, t, broken);
  }

  private fillGap(slot: number, b: number, last: number, gap: number, next: Float64Array): void {
    const F = this.fields;
    const f = this.arena.f64;
    for (let i = 0; i < F; i++) this.anchor[i] = f[b + 1 + 3 * i];
    for (let k = 1; k <= gap; k++) {
      const tk = last + k * this.step;
      for (let i = 0; i < F; i++) {
        this.fill[i] = this.estimate(b, i, tk, next[i], k, gap + 1);
        this.mask[i] = 1;
      }
      this.imputedSteps++;
      this.commit(slot, b, tk, false);
    }
  }

  /** Value of field i at time t; for linear, `next` is the value `of` steps after the last one. */
  private estimate(b: number, i: number, t: number, next: number, k: number, of: number): number {
    const f = this.arena.f64;
    const lastVal = f[b + 1 + 3 * i];
    switch (this.method) {
      case IMPUTE.linear: {
        const a = k === 0 ? lastVal : this.anchor[i];
        return next === next && a === a ? a + ((next - a) * k) / of : lastVal;
      }
      case IMPUTE.seasonal: {
        const v = f[b + this.ring + this.seasonIndex(t) * this.fields + i];
        return v === v ? v : lastVal;
      }
      case IMPUTE.mean:
        return f[b + 2 + 3 * i] > 0 ? f[b + 3 + 3 * i] : lastVal;
      default:
        return lastVal;
    }
  }

  private seasonIndex(t: number): number {
    const s = Math.round(t / this.step) % this.season;
    return s < 0 ? s + this.season : s;
  }

  /** Records the emitted step as the new "last" and hands it on. */
  private commit(slot: number, b: number, t: number, broken: boolean): void {
    const f = this.arena.f64;
    f[b] = t;
    const F = this.fields;
    for (let i = 0; i < F; i++) f[b + 1 + 3 * i] = this.fill[i];
    if (this.season > 0) {
      const r = b + this.ring + this.seasonIndex(t) * F;
      for (let i = 0; i < F; i++) f[r + i] = this.fill[i];
    }
    this.emit(slot, t, this.fill, this.mask, broken);
  }
}
