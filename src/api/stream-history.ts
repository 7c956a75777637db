import { grownTo } from '../engine/grow.js';

// One pipeline's per-stream history for the API in flat typed-array slots (no objects per stream
// or per point): a bounded ring of recent actuals (t, value, imputed) and one of one-step forecasts
// (target t, mean, lower, upper), values as float32 (charts need no more) and times as float64
// (exact); plus the latest full-horizon forecast in float64 (served exactly as the engine made it).
// 33 bytes per point and 24 per horizon step; `points` 0 keeps no rings (last actual and latest
// forecast only).

export class StreamHistory {
  private readonly C: number;
  // Rings: slot * C + i.
  private aT = new Float64Array(0);
  private aValue = new Float32Array(0);
  private aImputed = new Uint8Array(0);
  private fT = new Float64Array(0);
  private fBand = new Float32Array(0); // mean, lower, upper per point
  // Per slot: ring heads and counts.
  private aHead = new Int32Array(0);
  private aCount = new Int32Array(0);
  private fHead = new Int32Array(0);
  private fCount = new Int32Array(0);
  // Latest forecast: its time, horizon and mean/lower/upper × H.
  private H = 0;
  private latestT = new Float64Array(0);
  private latestH = new Uint16Array(0);
  private latest = new Float64Array(0);
  private readonly versions: string[] = [];
  private slots = 0;

  constructor(readonly points: number) {
    if (!Number.isInteger(points) || points < 0) throw new RangeError(`history points must be a non-negative integer, got ${points}`);
    this.C = points;
  }

  /** Bytes per stream (rings and latest forecast), for sizing. */
  get bytesPerStream(): number {
    return this.C * 33 + 16 + 8 + 2 + 24 * this.H;
  }

  /** Makes `slot` usable and empty (a new or reused stream). */
  reset(slot: number): void {
    if (slot >= this.slots) this.grow(slot + 1);
    this.aHead[slot] = this.aCount[slot] = this.fHead[slot] = this.fCount[slot] = 0;
    this.latestT[slot] = NaN;
    this.latestH[slot] = 0;
    this.versions[slot] = '';
    if (this.C === 0) this.lastT[slot] = NaN;
  }

  pushActual(slot: number, t: number, value: number, imputed: boolean): void {
    const C = this.C;
    if (C === 0) {
      // Without rings the last actual is still served (a one-point ring).
      return this.setLastActual(slot, t, value, imputed);
    }
    const i = slot * C + this.aHead[slot];
    this.aT[i] = t;
    this.aValue[i] = value;
    this.aImputed[i] = imputed ? 1 : 0;
    this.aHead[slot] = (this.aHead[slot] + 1) % C;
    if (this.aCount[slot] < C) this.aCount[slot]++;
  }

  pushForecast(slot: number, targetT: number, mean: number, lower: number, upper: number): void {
    const C = this.C;
    if (C === 0) return;
    const i = slot * C + this.fHead[slot];
    this.fT[i] = targetT;
    this.fBand[3 * i] = mean;
    this.fBand[3 * i + 1] = lower;
    this.fBand[3 * i + 2] = upper;
    this.fHead[slot] = (this.fHead[slot] + 1) % C;
    if (this.fCount[slot] < C) this.fCount[slot]++;
  }

  setLatest(
    slot: number,
    t: number,
    modelVersion: string,
    mean: ArrayLike<number>,
    lower: ArrayLike<number>,
    upper: ArrayLike<number>,
  ): void {
    const h = mean.length;
    if (h > this.H) this.widen(h);
    const base = slot * 3 * this.H;
    const L = this.latest;
    for (let k = 0; k < h; k++) {
      L[base + k] = mean[k];
      L[base + this.H + k] = lower[k];
      L[base + 2 * this.H + k] = upper[k];
    }
    this.latestT[slot] = t;
    this.latestH[slot] = h;
    this.versions[slot] = modelVersion;
  }

  /** The latest forecast as JSON-ready arrays, or null. */
  latestOf(slot: number): { t: number; modelVersion: string; mean: number[]; lower: number[]; upper: number[] } | null {
    const h = this.latestH[slot];
    if (h === 0) return null;
    const base = slot * 3 * this.H;
    const L = this.latest;
    const col = (o: number): number[] => Array.from(L.subarray(base + o, base + o + h));
    return { t: this.latestT[slot], modelVersion: this.versions[slot], mean: col(0), lower: col(this.H), upper: col(2 * this.H) };
  }

  /** The newest actual's time and value, or null. */
  lastActual(slot: number): { t: number; value: number } | null {
    if (this.C === 0) {
      const t = this.lastT[slot];
      return t === undefined || Number.isNaN(t) ? null : { t, value: this.lastValue[slot] };
    }
    if (this.aCount[slot] === 0) return null;
    const i = slot * this.C + ((this.aHead[slot] - 1 + this.C) % this.C);
    return { t: this.aT[i], value: this.aValue[i] };
  }

  /** The newest `limit` actuals, oldest first. */
  actuals(slot: number, limit = Infinity): { t: number[]; value: number[]; imputed: boolean[] } {
    if (this.C === 0) {
      const last = this.lastActual(slot);
      return last === null || limit < 1
        ? { t: [], value: [], imputed: [] }
        : { t: [last.t], value: [last.value], imputed: [this.lastImputed[slot] === 1] };
    }
    const rows = this.rows(slot, this.aHead[slot], this.aCount[slot], limit);
    return {
      t: rows.map((i) => this.aT[i]),
      value: rows.map((i) => this.aValue[i]),
      imputed: rows.map((i) => this.aImputed[i] === 1),
    };
  }

  /** The newest `limit` actual values, oldest first (sparklines). */
  values(slot: number, limit: number): number[] {
    if (this.C === 0) return this.actuals(slot, limit).value;
    return this.rows(slot, this.aHead[slot], this.aCount[slot], limit).map((i) => this.aValue[i]);
  }

  /** The newest `limit` one-step forecasts by target time, oldest first. */
  forecasts(slot: number, limit = Infinity): { t: number[]; mean: number[]; lower: number[]; upper: number[] } {
    if (this.C === 0) return { t: [], mean: [], lower: [], upper: [] };
    const rows = this.rows(slot, this.fHead[slot], this.fCount[slot], limit);
    return {
      t: rows.map((i) => this.fT[i]),
      mean: rows.map((i) => this.fBand[3 * i]),
      lower: rows.map((i) => this.fBand[3 * i + 1]),
      upper: rows.map((i) => this.fBand[3 * i + 2]),
    };
  }

  // Without rings: the last actual alone, in per-slot columns.
  private lastT = new Float64Array(0);
  private lastValue = new Float32Array(0);
  private lastImputed = new Uint8Array(0);

  private setLastActual(slot: number, t: number, value: number, imputed: boolean): void {
    this.lastT[slot] = t;
    this.lastValue[slot] = value;
    this.lastImputed[slot] = imputed ? 1 : 0;
  }

  private rows(slot: number, head: number, count: number, limit: number): number[] {
    const C = this.C;
    const n = Math.max(0, Math.min(Math.floor(limit), count));
    const out = new Array<number>(n);
    const start = (head - n + C) % C;
    for (let k = 0; k < n; k++) out[k] = slot * C + ((start + k) % C);
    return out;
  }

  private grow(n: number): void {
    const C = this.C;
    this.aHead = grownTo(this.aHead, n);
    const cap = this.aHead.length;
    this.aCount = grownTo(this.aCount, cap);
    this.fHead = grownTo(this.fHead, cap);
    this.fCount = grownTo(this.fCount, cap);
    this.latestT = grownTo(this.latestT, cap, NaN);
    this.latestH = grownU16(this.latestH, cap);
    this.latest = grownTo(this.latest, cap * 3 * this.H);
    if (C > 0) {
      this.aT = grownTo(this.aT, cap * C);
      this.aValue = grownTo(this.aValue, cap * C);
      this.aImputed = grownTo(this.aImputed, cap * C);
      this.fT = grownTo(this.fT, cap * C);
      this.fBand = grownTo(this.fBand, cap * C * 3);
    } else {
      this.lastT = grownTo(this.lastT, cap, NaN);
      this.lastValue = grownTo(this.lastValue, cap);
      this.lastImputed = grownTo(this.lastImputed, cap);
    }
    this.slots = cap;
  }

  /** A longer horizon than seen so far: the latest-forecast slab is laid out again. */
  private widen(h: number): void {
    const old = this.latest;
    const oldH = this.H;
    const next = new Float64Array(this.slots * 3 * h);
    for (let s = 0; s < this.slots; s++) {
      for (let part = 0; part < 3; part++) {
        next.set(old.subarray(s * 3 * oldH + part * oldH, s * 3 * oldH + (part + 1) * oldH), s * 3 * h + part * h);
      }
    }
    this.latest = next;
    this.H = h;
  }
}

function grownU16(a: Uint16Array<ArrayBuffer>, length: number): Uint16Array<ArrayBuffer> {
  if (a.length >= length) return a;
  const next = new Uint16Array(length);
  next.set(a);
  return next;
}
