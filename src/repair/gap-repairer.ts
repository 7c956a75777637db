import type { Kernels } from '../models/kernels/kernels.js';
import { portableKernels } from '../models/kernels/portable.js';
import { clipByGlobalNorm } from '../training/clip.js';
import { Adam } from '../training/optimisers.js';
import { Prng } from '../training/prng.js';
import { deseasonalisedLinearFill, seasonalProfile } from './baselines.js';
import { BidirectionalRnn, type RepairCell } from './bidirectional-rnn.js';
import { BlendFit, blendCandidates, BUCKETS, bucketOf, CANDIDATES } from './fill-blend.js';

// Gap repair by a bidirectional RNN that learns the residual of the seasonal-linear baseline
// (baselines.ts): for a gap [a, b) the network reads the window [a − context, b + context) both
// ways and outputs, per step, a correction to that baseline (in the series' z units). It is trained
// on the series itself: random stretches of observed data are hidden and it learns to fill them
// (fixed budget, seeded). A learned blend of that fill with simpler fills of the same window
// (fill-blend.ts) gives the value, per band of gap lengths where it wins on hidden stretches.
// Every fill reads its window alone (fillWindow gets a copy of it), so a
// fill never depends on data past the window; observed values are copied, never changed.

export interface RepairSettings {
  readonly cell: RepairCell;
  readonly units: number;
  /** Observed steps read on each side of a gap. */
  readonly contextSteps: number;
  /** Longest gap filled (longer ones are left missing and counted). */
  readonly maxGapSteps: number;
  /** Steps per season (0 or 1: none). */
  readonly period: number;
  /** Training batches (the fixed budget) and windows per batch. */
  readonly trainBatches: number;
  readonly batch: number;
  readonly learningRate: number;
  readonly seed: number;
}

export const REPAIR_DEFAULTS: RepairSettings = {
  cell: 'gru',
  units: 16,
  contextSteps: 48,
  maxGapSteps: 96,
  period: 24,
  trainBatches: 300,
  batch: 16,
  learningRate: 0.003,
  seed: 1,
};

/** One series: values (NaN = missing) and the season phase of its first step. */
export interface RepairSeries {
  readonly values: ArrayLike<number>;
  readonly phase0: number;
}

/** Per-series scale and season, from its observed values (in live use: from the past only). */
export interface SeriesScale {
  readonly mean: number;
  readonly std: number;
  /** Seasonal profile in the series' units (length period, or 0). */
  readonly profile: Float64Array;
  readonly phase0: number;
}

export interface RepairResult {
  /** Observed values unchanged, filled gaps filled, other missing values NaN. */
  readonly values: Float64Array;
  /** 1 where a value was filled. */
  readonly imputed: Uint8Array;
  readonly gapsFilled: number;
  /** Gaps longer than maxGapSteps, and leading/trailing gaps (one side unknown), left missing. */
  readonly gapsLeft: number;
}

export interface RepairFitReport {
  readonly batches: number;
  readonly seconds: number;
  /** Held-out masked MSE (z units) of the baseline alone and with the network's correction. */
  readonly baselineMse: number;
  readonly networkMse: number;
  /** Whether fills use the network (it beat the baseline on the held-out windows). */
  readonly useNetwork: boolean;
  /** Per band of gap lengths ("1-8: true, ..."): whether fills there use the network. */
  readonly useNetworkFor: string;
  /** Whether the baseline keeps the seasonal profile (it beat plain linear interpolation). */
  readonly useSeason: boolean;
  /** Per band: whether fills use the learned blend (it beat the fill above on other hidden stretches). */
  readonly useBlendFor: string;
  /** Held-out MSE (z units) of the fill without and with the blend. */
  readonly unblendedMse: number;
  readonly blendMse: number;
}

const F = 7;

/** Bands of gap lengths, each with its own held-out verdicts (network or not, blend or not) and blend weights. */
const GAP_BANDS = ['1-8', '9-16', '17-32', '33-64', '65+'] as const;

function bandOf(gap: number): number {
  return gap <= 8 ? 0 : gap <= 16 ? 1 : gap <= 32 ? 2 : gap <= 64 ? 3 : 4;
}

export class GapRepairer {
  readonly settings: RepairSettings;
  readonly net: BidirectionalRnn;
  useNetwork = true;
  /** Per gap-length band (GAP_BANDS): whether the network beat the baseline there on held-out stretches. */
  readonly useNetworkFor: boolean[] = GAP_BANDS.map(() => true);
  /** Whether the baseline uses the seasonal profile (fit() keeps it only where it beats linear). */
  useSeason = true;
  /** Per gap-length band: whether the blend (fill-blend.ts) fills it; its weights (bands × BUCKETS × CANDIDATES). */
  readonly useBlendFor: boolean[] = GAP_BANDS.map(() => false);
  private blendWeights: Float64Array = new Float64Array(GAP_BANDS.length * BUCKETS * CANDIDATES);
  private readonly cand: Float64Array;
  private readonly maxT: number;
  private readonly x: Float32Array;
  private readonly dOut: Float32Array;
  private readonly targets: Float32Array;

  constructor(settings: Partial<RepairSettings> = {}, kernels: Kernels = portableKernels) {
    this.settings = { ...REPAIR_DEFAULTS, ...settings };
    const s = this.settings;
    this.maxT = s.maxGapSteps + 2 * s.contextSteps;
    const maxB = Math.max(1, s.batch);
    this.net = new BidirectionalRnn({ cell: s.cell, inputSize: F, units: s.units, seed: s.seed }, this.maxT, maxB, kernels);
    // Start as the baseline: a zero correction.
    this.net.forwardModel.headKernel.data.fill(0);
    this.net.backwardModel.headKernel.data.fill(0);
    this.net.forwardModel.headBias.data.fill(0);
    this.x = new Float32Array(this.maxT * maxB * F);
    this.dOut = new Float32Array(this.maxT * maxB);
    this.targets = new Float32Array(this.maxT * maxB);
    this.cand = new Float64Array(s.maxGapSteps * CANDIDATES);
  }

  scaleOf(series: RepairSeries): SeriesScale {
    const v = series.values;
    let n = 0,
      sum = 0,
      sq = 0;
    for (let t = 0; t < v.length; t++)
      if (Number.isFinite(v[t])) {
        n++;
        sum += v[t];
        sq += v[t] * v[t];
      }
    const mean = n > 0 ? sum / n : 0;
    const std = n > 1 ? Math.sqrt(Math.max(sq / n - mean * mean, 0)) : 0;
    const P = this.settings.period;
    const profile = P >= 2 && this.useSeason ? seasonalProfile(v, P) : new Float64Array(0);
    return { mean, std: std > 1e-12 ? std : 1, profile, phase0: series.phase0 };
  }

  /** Self-supervised fit: hides random observed stretches of the series and learns to fill them. */
  fit(series: readonly RepairSeries[], now: () => number = () => performance.now()): RepairFitReport {
    const t0 = now();
    const s = this.settings;
    let scales = series.map((x) => this.scaleOf(x));
    // The season only where it helps: the same hidden stretches filled with and without it.
    if (s.period >= 2) {
      const seasonal = this.residualMse(series, scales, s.seed + 31);
      const flat = series.map((_x, i) => ({ ...scales[i], profile: new Float64Array(0) }));
      const linear = this.residualMse(series, flat, s.seed + 31);
      this.useSeason = seasonal <= linear;
      if (!this.useSeason) scales = flat;
    }
    const rng = new Prng(s.seed);
    const opt = new Adam({ learningRate: s.learningRate });
    const params = this.net.params();
    for (let i = 0; i < s.trainBatches; i++) {
      const { T, B } = this.sampleBatch(series, scales, rng, s.batch);
      const out = this.net.forward(T, B, this.x);
      const n = this.maskedLoss(out, T * B);
      if (n === 0) continue;
      this.net.zeroGrads();
      this.net.backward(this.dOut);
      clipByGlobalNorm(params, 1);
      opt.step(params);
    }
    // Held-out check on windows drawn with another seed: the network must beat the baseline, overall
    // and per band of gap lengths (fills of a band where it does not use the baseline alone).
    const check = new Prng(s.seed + 7919);
    let base = 0,
      net = 0,
      count = 0;
    const bandBase = GAP_BANDS.map(() => 0),
      bandNet = GAP_BANDS.map(() => 0);
    for (let i = 0; i < 96; i++) {
      const { T, B } = this.sampleBatch(series, scales, check, s.batch);
      const band = bandOf(T - 2 * s.contextSteps);
      const out = this.net.forward(T, B, this.x);
      for (let j = 0; j < T * B; j++) {
        const y = this.targets[j];
        if (Number.isNaN(y)) continue;
        base += y * y;
        net += (y - out[j]) ** 2;
        bandBase[band] += y * y;
        bandNet[band] += (y - out[j]) ** 2;
        count++;
      }
    }
    const baselineMse = count > 0 ? base / count : 0;
    const networkMse = count > 0 ? net / count : 0;
    this.useNetwork = networkMse < baselineMse;
    GAP_BANDS.forEach((_, k) => {
      this.useNetworkFor[k] = this.useNetwork && bandNet[k] <= bandBase[k];
    });
    const blend = this.fitBlend(series, scales);
    return {
      batches: s.trainBatches,
      seconds: (now() - t0) / 1000,
      baselineMse,
      networkMse,
      useNetwork: this.useNetwork,
      useNetworkFor: GAP_BANDS.map((b, k) => `${b}: ${this.useNetworkFor[k]}`).join(', '),
      useSeason: this.useSeason,
      useBlendFor: GAP_BANDS.map((b, k) => `${b}: ${this.useBlendFor[k]}`).join(', '),
      ...blend,
    };
  }

  /**
   * Fits the blend's weights on hidden stretches drawn with one seed, then keeps it per band where it
   * beats the unblended fill on stretches drawn with another.
   */
  private fitBlend(series: readonly RepairSeries[], scales: readonly SeriesScale[]): { unblendedMse: number; blendMse: number } {
    const s = this.settings;
    const C = s.contextSteps;
    const fitter = new BlendFit(GAP_BANDS.length);
    const visit = (rng: Prng, batches: number, each: (band: number, bucket: number, c: Float64Array, o: number, y: number) => void) => {
      for (let i = 0; i < batches; i++) {
        const { T, B } = this.sampleBatch(series, scales, rng, s.batch);
        const a = C,
          b = T - C;
        const band = bandOf(b - a);
        const net = this.net.forward(T, B, this.x);
        for (let col = 0; col < B; col++) {
          blendCandidates(this.x, F, T, B, col, a, b, net, this.cand);
          for (let t = a; t < b; t++) {
            const y = this.targets[t * B + col];
            if (Number.isNaN(y)) continue;
            each(band, bucketOf(t, a, b), this.cand, (t - a) * CANDIDATES, y + this.x[(t * B + col) * F + 2]);
          }
        }
      }
    };
    visit(new Prng(s.seed + 104_729), 256, (band, bucket, c, o, y) => fitter.add(band, bucket, c, o, y));
    this.blendWeights = fitter.solve();
    const plain = GAP_BANDS.map(() => 0),
      blended = GAP_BANDS.map(() => 0);
    let n = 0;
    visit(new Prng(s.seed + 1_299_709), 128, (band, bucket, c, o, y) => {
      plain[band] += (c[o + (this.useNetworkFor[band] ? 1 : 0)] - y) ** 2;
      blended[band] += (this.blended(band, bucket, c, o) - y) ** 2;
      n++;
    });
    GAP_BANDS.forEach((_, k) => {
      this.useBlendFor[k] = blended[k] < plain[k];
    });
    const sum = (v: number[]) => v.reduce((p, q) => p + q, 0);
    return { unblendedMse: n > 0 ? sum(plain) / n : 0, blendMse: n > 0 ? sum(blended) / n : 0 };
  }

  private blended(band: number, bucket: number, c: Float64Array, o: number): number {
    const w = (band * BUCKETS + bucket) * CANDIDATES;
    let v = 0;
    for (let i = 0; i < CANDIDATES; i++) v += this.blendWeights[w + i] * c[o + i];
    return v;
  }

  /** Mean squared residual of the baseline over hidden stretches drawn with `seed`. */
  private residualMse(series: readonly RepairSeries[], scales: readonly SeriesScale[], seed: number): number {
    const rng = new Prng(seed);
    let sum = 0,
      n = 0;
    for (let i = 0; i < 16; i++) {
      const { T, B } = this.sampleBatch(series, scales, rng, this.settings.batch);
      for (let j = 0; j < T * B; j++)
        if (!Number.isNaN(this.targets[j])) {
          sum += this.targets[j] ** 2;
          n++;
        }
    }
    return n > 0 ? sum / n : 0;
  }

  /** Fills every interior gap of up to maxGapSteps; observed values are copied as they are. */
  repair(series: RepairSeries, scale: SeriesScale = this.scaleOf(series)): RepairResult {
    const v = series.values;
    const n = v.length;
    const values = Float64Array.from({ length: n }, (_, t) => v[t]);
    const imputed = new Uint8Array(n);
    const C = this.settings.contextSteps;
    let gapsFilled = 0,
      gapsLeft = 0;
    let t = 0;
    while (t < n) {
      if (Number.isFinite(v[t])) {
        t++;
        continue;
      }
      const a = t;
      while (t < n && !Number.isFinite(v[t])) t++;
      const b = t;
      if (a === 0 || b === n || b - a > this.settings.maxGapSteps) {
        gapsLeft++;
        continue;
      }
      const w0 = Math.max(0, a - C),
        w1 = Math.min(n, b + C);
      const window = Float64Array.from({ length: w1 - w0 }, (_, i) => v[w0 + i]);
      const fill = new Float64Array(b - a);
      this.fillWindow(window, a - w0, b - w0, w0, scale, fill);
      for (let i = 0; i < b - a; i++) {
        values[a + i] = fill[i];
        imputed[a + i] = 1;
      }
      gapsFilled++;
    }
    return { values, imputed, gapsFilled, gapsLeft };
  }

  /**
   * Fills the gap [a, b) of `window` (series units, NaN = missing; its first step is step `offset`
   * of the series, for the season's phase) into out (b − a values). Reads nothing but `window`.
   */
  fillWindow(window: Float64Array, a: number, b: number, offset: number, scale: SeriesScale, out: Float64Array): void {
    const T = window.length;
    const z = new Float64Array(T);
    for (let t = 0; t < T; t++) z[t] = (window[t] - scale.mean) / scale.std;
    const baseline = new Float64Array(T);
    this.features(z, a, b, offset, scale, 1, 0, baseline);
    const band = bandOf(b - a);
    const net = this.useNetworkFor[band] || this.useBlendFor[band] ? this.net.forward(T, 1, this.x) : null;
    if (this.useBlendFor[band]) {
      blendCandidates(this.x, F, T, 1, 0, a, b, net, this.cand);
      for (let t = a; t < b; t++)
        out[t - a] = this.blended(band, bucketOf(t, a, b), this.cand, (t - a) * CANDIDATES) * scale.std + scale.mean;
      return;
    }
    for (let t = a; t < b; t++) out[t - a] = (baseline[t] + (net === null ? 0 : net[t])) * scale.std + scale.mean;
  }

  /**
   * Writes the features of window z (z units, NaN missing; gap [a, b)) into this.x at batch column
   * bCol of B, and the seasonal-linear baseline into `baseline`.
   */
  private features(
    z: Float64Array,
    a: number,
    b: number,
    offset: number,
    scale: SeriesScale,
    B: number,
    bCol: number,
    baseline: Float64Array,
  ): void {
    const T = z.length;
    const P = scale.profile.length;
    const season = new Float64Array(T);
    if (P > 0) for (let t = 0; t < T; t++) season[t] = scale.profile[(((scale.phase0 + offset + t) % P) + P) % P] / scale.std;
    deseasonalisedLinearFill(z, season, baseline);
    const x = this.x;
    for (let t = 0; t < T; t++) {
      const obs = Number.isFinite(z[t]);
      const base = Number.isFinite(baseline[t]) ? baseline[t] : season[t];
      baseline[t] = base;
      const o = (t * B + bCol) * F;
      x[o] = obs ? clip(z[t]) : 0;
      x[o + 1] = obs ? 1 : 0;
      x[o + 2] = clip(base);
      x[o + 3] = clip(season[t]);
      x[o + 4] = t >= a && t < b ? (t - a + 1) / (b - a + 1) : 0;
    }
    // The same phase one season earlier and later, where the window holds it observed (else the
    // baseline): what a seasonal copy would use, without reading outside the window.
    const P2 = this.settings.period;
    for (let t = 0; t < T; t++) {
      const o = (t * B + bCol) * F;
      const early = t - P2,
        late = t + P2;
      x[o + 5] = clip(P2 >= 2 && early >= 0 && Number.isFinite(z[early]) ? z[early] - season[early] + season[t] : baseline[t]);
      x[o + 6] = clip(P2 >= 2 && late < T && Number.isFinite(z[late]) ? z[late] - season[late] + season[t] : baseline[t]);
    }
  }

  /** A batch of windows with one hidden stretch each (same length in the batch); targets = residuals. */
  private sampleBatch(series: readonly RepairSeries[], scales: readonly SeriesScale[], rng: Prng, B: number): { T: number; B: number } {
    const s = this.settings;
    const g = 1 + rng.int(s.maxGapSteps);
    const C = s.contextSteps;
    const T = g + 2 * C;
    const usable = series.map((x) => Math.max(0, x.values.length - T + 1));
    const total = usable.reduce((p, q) => p + q, 0);
    this.targets.fill(NaN, 0, T * B);
    const z = new Float64Array(T);
    const baseline = new Float64Array(T);
    for (let bCol = 0; bCol < B; bCol++) {
      if (total === 0) {
        z.fill(NaN);
        this.features(z, C, C + g, 0, scales[0], B, bCol, baseline);
        continue;
      }
      // A window start drawn uniformly over all series; tries for a stretch like a real gap: both
      // edges observed (a gap is a maximal run of missing values), its truth observed at both ends.
      let si = 0,
        w0 = 0;
      for (let tries = 0; tries < 32; tries++) {
        let r = rng.int(total);
        si = 0;
        while (r >= usable[si]) {
          r -= usable[si];
          si++;
        }
        w0 = r;
        const v = series[si].values;
        const edges = (C === 0 || Number.isFinite(v[w0 + C - 1])) && (w0 + C + g >= v.length || Number.isFinite(v[w0 + C + g]));
        if (edges && Number.isFinite(v[w0 + C]) && Number.isFinite(v[w0 + C + g - 1])) break;
      }
      const v = series[si].values;
      const sc = scales[si];
      for (let t = 0; t < T; t++) z[t] = (v[w0 + t] - sc.mean) / sc.std;
      const truth = z.slice(C, C + g);
      z.fill(NaN, C, C + g);
      this.features(z, C, C + g, w0, sc, B, bCol, baseline);
      for (let i = 0; i < g; i++) if (Number.isFinite(truth[i])) this.targets[(C + i) * B + bCol] = clip(truth[i]) - baseline[C + i];
    }
    return { T, B };
  }

  /** MSE over the hidden steps with a truth; writes dOut. Returns how many steps were scored. */
  private maskedLoss(out: Float32Array, count: number): number {
    let n = 0;
    for (let i = 0; i < count; i++) if (!Number.isNaN(this.targets[i])) n++;
    for (let i = 0; i < count; i++) {
      const y = this.targets[i];
      this.dOut[i] = Number.isNaN(y) || n === 0 ? 0 : (2 * (out[i] - y)) / n;
    }
    return n;
  }
}

/** Inputs bounded at ±8 z: one wild value must not saturate the network's view of a window. */
function clip(v: number): number {
  return v > 8 ? 8 : v < -8 ? -8 : v;
}
