import { Stage } from './stage.js';
import type { ResolvedOptions } from './resolved-options.js';

// Event-time ordering of one stream: records wait in a small sorted ring until the stream's
// watermark (newest event time - max_delay_ms) passes them, then leave in event-time order.
// Slot layout (Float64): maxT, lastReleasedT, head, count, then capacity × (t, v_0..v_{F-1}).

export const ORDER_ACCEPTED = 0;
export const ORDER_DUPLICATE_DROPPED = 1;
export const ORDER_DUPLICATE_REPLACED = 2;
/** Same time as the record released last: too late to replace or drop silently. */
export const ORDER_DUPLICATE_RELEASED = 3;
/** Older than the record released last. */
export const ORDER_LATE = 4;

/** Receives records in event-time order; `vals[off..off+F)` holds the fields (NaN: absent). */
export type ReleaseFn = (slot: number, t: number, vals: Float64Array, off: number) => void;

export class OrderStage extends Stage {
  readonly size64: number;
  readonly size16 = 0;
  /** Records released before the watermark passed them because the ring was full. */
  overflows = 0;
  private readonly entry: number;
  private readonly cap: number;
  private readonly fields: number;
  private readonly delay: number;
  private readonly replace: boolean;

  constructor(
    o: ResolvedOptions,
    private readonly release: ReleaseFn,
  ) {
    super();
    this.fields = o.fieldCount;
    this.entry = 1 + o.fieldCount;
    this.cap = o.bufferCapacity;
    this.delay = o.maxDelayMs;
    this.replace = o.replaceDuplicates;
    this.size64 = 4 + this.cap * this.entry;
  }

  init(slot: number): void {
    const f = this.arena.f64;
    const b = this.base64(slot);
    f[b] = -Infinity;
    f[b + 1] = -Infinity;
    f[b + 2] = 0;
    f[b + 3] = 0;
  }

  /** The stream's watermark: newest event time minus the allowed delay. */
  watermark(slot: number): number {
    return this.arena.f64[this.base64(slot)] - this.delay;
  }

  /** Where held() reads within a slot's Float64 part. */
  get heldIndex(): number {
    return this.off64 + 3;
  }

  /** Records the stream holds, waiting for its watermark. */
  held(slot: number): number {
    return this.arena.f64[this.base64(slot) + 3];
  }

  lastReleased(slot: number): number {
    return this.arena.f64[this.base64(slot) + 1];
  }

  push(slot: number, t: number, vals: Float64Array): number {
    const f = this.arena.f64;
    const b = this.base64(slot);
    const lastRel = f[b + 1];
    if (t <= lastRel) return t === lastRel ? ORDER_DUPLICATE_RELEASED : ORDER_LATE;
    const head = f[b + 2];
    let count = f[b + 3];
    const ring = b + 4;
    const E = this.entry;
    const K = this.cap;
    // Duplicate within the ring (sorted: scan back from the newest).
    for (let i = count - 1; i >= 0; i--) {
      const e = ring + ((head + i) % K) * E;
      const tt = f[e];
      if (tt < t) break;
      if (tt === t) {
        if (!this.replace) return ORDER_DUPLICATE_DROPPED;
        for (let j = 0; j < this.fields; j++) f[e + 1 + j] = vals[j];
        return ORDER_DUPLICATE_REPLACED;
      }
    }
    const maxT = f[b] > t ? f[b] : t;
    f[b] = maxT;
    const w = maxT - this.delay;
    if (count === 0 && t <= w) {
      f[b + 1] = t;
      this.release(slot, t, vals, 0);
      return ORDER_ACCEPTED;
    }
    if (count === K) {
      this.overflows++;
      if (t < f[ring + head * E]) {
        f[b + 1] = t;
        this.release(slot, t, vals, 0);
        return ORDER_ACCEPTED;
      }
      this.releaseHead(slot, b);
      count--;
    }
    this.insert(f, b, t, vals);
    this.drain(slot, w);
    return ORDER_ACCEPTED;
  }

  /** Releases every held record with time <= watermark (used by idle flush and end of input). */
  drain(slot: number, watermark: number): void {
    const f = this.arena.f64;
    const b = this.base64(slot);
    while (f[b + 3] > 0 && f[b + 4 + f[b + 2] * this.entry] <= watermark) this.releaseHead(slot, b);
  }

  private releaseHead(slot: number, b: number): void {
    const f = this.arena.f64;
    const head = f[b + 2];
    const e = b + 4 + head * this.entry;
    const t = f[e];
    f[b + 2] = (head + 1) % this.cap;
    f[b + 3] -= 1;
    f[b + 1] = t;
    // The entry stays intact until a later insert, so the callee may read it in place.
    this.release(slot, t, f, e + 1);
  }

  private insert(f: Float64Array, b: number, t: number, vals: Float64Array): void {
    const E = this.entry;
    const K = this.cap;
    const head = f[b + 2];
    const count = f[b + 3];
    const ring = b + 4;
    let i = count;
    // Shift newer entries one place towards the tail (usually none: records mostly arrive in order).
    while (i > 0) {
      const prev = ring + ((head + i - 1) % K) * E;
      if (f[prev] < t) break;
      const cur = ring + ((head + i) % K) * E;
      for (let j = 0; j < E; j++) f[cur + j] = f[prev + j];
      i--;
    }
    const e = ring + ((head + i) % K) * E;
    f[e] = t;
    for (let j = 0; j < this.fields; j++) f[e + 1 + j] = vals[j];
    f[b + 3] = count + 1;
  }
}
