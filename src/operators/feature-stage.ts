import { Stage } from './stage.js';
import type { ResolvedOptions } from './resolved-options.js';

// Feature engineering in O(1) per step (amortised): a ring of past normalised targets feeds lags and
// differences; rolling mean/std use a sliding Welford update (exactly recomputed every W steps, and
// whenever the variance is too small against the rounding bound for the update to be trusted: flat
// windows cost O(W)); rolling min/max
// use monotonic deques of step numbers (Uint16, mod 65536). After a broken gap the history restarts:
// lags and windows then cover only the steps since the restart (the earliest value pads the lags).
// Slot layout: Float64: step, steps in segment, steps since observation, then per target a ring of R
// values and per window (mean, M2, largest square). Uint16: per target and window a min and a max deque [head, len, W].

const TAU = 2 * Math.PI;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export class FeatureStage extends Stage {
  readonly size64: number;
  readonly size16: number;
  readonly width: number;
  private readonly o: ResolvedOptions;
  private readonly R: number;
  private readonly moments: boolean;
  private readonly perTarget64: number;
  private readonly perTarget16: number;
  private readonly dq: number;
  /** Calendar phases of the last step time: grid-aligned streams share step times. */
  private calT = NaN;
  private readonly cal = new Float64Array(4);

  constructor(o: ResolvedOptions, width: number) {
    super();
    this.o = o;
    this.width = width;
    let r = 1;
    for (const k of o.lags) r = Math.max(r, k + 1);
    for (const d of o.diffs) r = Math.max(r, d + 1);
    if (o.seasonalDiff > 0) r = Math.max(r, o.seasonalDiff + 1);
    for (const w of o.windows) r = Math.max(r, w);
    this.R = r;
    this.moments = o.statMean || o.statStd;
    this.perTarget64 = r + (this.moments ? 3 * o.windows.length : 0);
    this.dq = (o.statMin ? 1 : 0) + (o.statMax ? 1 : 0);
    let w16 = 0;
    for (const w of o.windows) w16 += this.dq * (2 + w);
    this.perTarget16 = w16;
    this.size64 = 3 + o.targets.length * this.perTarget64;
    this.size16 = o.targets.length * this.perTarget16;
  }

  init(slot: number): void {
    const b = this.base64(slot);
    this.arena.f64.fill(0, b, b + this.size64);
    const u = this.base16(slot);
    this.arena.u16.fill(0, u, u + this.size16);
  }

  /** One grid step: z = normalised fields, mask = imputed flags; writes `width` features to out. */
  step(slot: number, t: number, z: Float64Array, mask: Uint8Array, broken: boolean, out: Float64Array): void {
    const o = this.o;
    const f = this.arena.f64;
    const b = this.base64(slot);
    const s = f[b] + 1;
    f[b] = s;
    if (broken) this.restart(slot, b);
    const seg = f[b + 1] + 1;
    f[b + 1] = seg;
    let observed = false;
    for (let i = 0; i < o.fieldCount; i++) if (mask[i] === 0) observed = true;
    const sso = observed ? 0 : f[b + 2] + 1;
    f[b + 2] = sso;
    let k = 0;
    const nt = o.targets.length;
    // One float modulo per step; ring indices below are integer arithmetic from `pos`.
    const pos = s % this.R;
    for (let j = 0; j < nt; j++) k = this.targetFeatures(slot, b, j, s, pos, seg, z, out, k);
    for (let j = 0; j < o.exogenous.length; j++) out[k++] = z[o.exogenous[j]];
    if (o.imputedMask) for (let i = 0; i < o.fieldCount; i++) out[k++] = mask[i];
    if (o.calendar) {
      if (t !== this.calT) this.calendar(t);
      out[k++] = this.cal[0];
      out[k++] = this.cal[1];
      out[k++] = this.cal[2];
      out[k++] = this.cal[3];
    }
    if (o.timeSinceObservation) out[k++] = Math.log1p(sso);
  }

  private calendar(t: number): void {
    const ms = ((t % DAY_MS) + DAY_MS) % DAY_MS;
    const hour = ms / HOUR_MS;
    const c = this.cal;
    c[0] = Math.sin((TAU * hour) / 24);
    c[1] = Math.cos((TAU * hour) / 24);
    // 1970-01-01 was a Thursday: day 0 of the week is Monday.
    const dow = ((((Math.floor(t / DAY_MS) + 3) % 7) + 7) % 7) + hour / 24;
    c[2] = Math.sin((TAU * dow) / 7);
    c[3] = Math.cos((TAU * dow) / 7);
    this.calT = t;
  }

  private restart(slot: number, b: number): void {
    const f = this.arena.f64;
    f[b + 1] = 0;
    const u = this.base16(slot);
    this.arena.u16.fill(0, u, u + this.size16);
  }

  // Doubles travel in typed arrays, not as arguments or return values: a non-inlined call would box them.
  private targetFeatures(
    slot: number,
    b: number,
    j: number,
    s: number,
    pos: number,
    seg: number,
    z: Float64Array,
    out: Float64Array,
    k: number,
  ): number {
    const o = this.o;
    const x = z[o.targets[j]];
    const f = this.arena.f64;
    const R = this.R;
    const ring = b + 3 + j * this.perTarget64;
    const mom = ring + R;
    const nw = o.windows.length;
    // Sliding moments first: they read the value leaving each window before the ring overwrites it.
    if (this.moments) {
      for (let w = 0; w < nw; w++) {
        const W = o.windows[w];
        const m = mom + 3 * w;
        const sq = x * x;
        if (seg <= W) {
          if (seg === 1) {
            f[m] = x;
            f[m + 1] = 0;
            f[m + 2] = sq;
          } else {
            if (sq > f[m + 2]) f[m + 2] = sq;
            const d = x - f[m];
            f[m] += d / seg;
            f[m + 1] += d * (x - f[m]);
          }
        } else {
          const iy = pos - W;
          const y = f[ring + (iy < 0 ? iy + R : iy)];
          const mean = f[m];
          const next = mean + (x - y) / W;
          f[m + 1] += (x - y) * (x - next + y - mean);
          f[m] = next;
          if (sq > f[m + 2]) f[m + 2] = sq;
        }
      }
    }
    f[ring + pos] = x;
    out[k++] = x;
    // Lags reach back at most to the segment's first step (padding with its value).
    const first = seg - 1;
    for (let i = 0; i < o.lags.length; i++) {
      const l = o.lags[i];
      const at = pos - (l < first ? l : first);
      out[k++] = f[ring + (at < 0 ? at + R : at)];
    }
    for (let i = 0; i < o.diffs.length; i++) {
      const l = o.diffs[i];
      const at = pos - (l < first ? l : first);
      out[k++] = x - f[ring + (at < 0 ? at + R : at)];
    }
    if (o.seasonalDiff > 0) {
      const l = o.seasonalDiff;
      const at = pos - (l < first ? l : first);
      out[k++] = x - f[ring + (at < 0 ? at + R : at)];
    }
    let u = this.base16(slot) + j * this.perTarget16;
    for (let w = 0; w < nw; w++) {
      const W = o.windows[w];
      const n = seg < W ? seg : W;
      if (this.moments) {
        const m = mom + 3 * w;
        let mean = f[m];
        let v = f[m + 1] / n;
        // Rounding in the sliding update is about eps × (largest square seen since the last exact
        // pass, kept in f[m + 2]); when the variance is not far above that, the square root would
        // magnify it, so the window is summed exactly instead.
        if ((seg > W && (s >>> 0) % W === 0) || (o.statStd && !(v > 1e-4 * f[m + 2]))) {
          // Exact two-pass over the window, oldest first (the same sums the offline reference does).
          let sum = 0;
          for (let i = n - 1; i >= 0; i--) sum += f[ring + (pos - i < 0 ? pos - i + R : pos - i)];
          mean = sum / n;
          let ss = 0;
          let big = 0;
          for (let i = n - 1; i >= 0; i--) {
            const xi = f[ring + (pos - i < 0 ? pos - i + R : pos - i)];
            const d = xi - mean;
            ss += d * d;
            if (xi * xi > big) big = xi * xi;
          }
          f[m] = mean;
          f[m + 1] = ss;
          f[m + 2] = big;
          v = ss / n;
        }
        if (o.statMean) out[k++] = mean;
        if (o.statStd) out[k++] = Math.sqrt(v);
      }
      if (o.statMin) {
        this.deque(u, ring, s, pos, W, x, true, out, k++);
        u += 2 + W;
      }
      if (o.statMax) {
        this.deque(u, ring, s, pos, W, x, false, out, k++);
        u += 2 + W;
      }
    }
    return k;
  }

  /** Monotonic deque of step numbers; writes the window's min (or max), x at step s included, to out[k]. */
  private deque(u: number, ring: number, s: number, pos: number, W: number, x: number, min: boolean, out: Float64Array, k: number): void {
    const q = this.arena.u16;
    const f = this.arena.f64;
    const R = this.R;
    const e = u + 2;
    let head = q[u];
    let len = q[u + 1];
    const s16 = s & 0xffff;
    while (len > 0 && ((s16 - q[e + head]) & 0xffff) >= W) {
      head = head + 1 === W ? 0 : head + 1;
      len--;
    }
    while (len > 0) {
      let back = head + len - 1;
      if (back >= W) back -= W;
      const iv = pos - ((s16 - q[e + back]) & 0xffff);
      const v = f[ring + (iv < 0 ? iv + R : iv)];
      if (min ? v >= x : v <= x) len--;
      else break;
    }
    let tail = head + len;
    if (tail >= W) tail -= W;
    q[e + tail] = s16;
    len++;
    q[u] = head;
    q[u + 1] = len;
    const ih = pos - ((s16 - q[e + head]) & 0xffff);
    out[k] = f[ring + (ih < 0 ? ih + R : ih)];
  }
}
