// The served forecaster's online part: per stream and per horizon h, recursive-least-squares
// readouts predict the change of the level from the forecast origin to h steps later, in units of
// the stream's normaliser scale, from [bias, lagged changes, the seasonal change one season ago,
// the level against the normaliser's centre and against its own fast mean, time of day of the
// target, the recurrent model's own forecast for h]. Per stream and horizon the candidate (each
// readout's variants, their inverse-MSE combination, or persistence) with the lowest recent
// out-of-sample error (MSE and MAE relative to persistence's) serves, and the band is that forecast's own recent residual scale times a factor calibrated
// online to the nominal coverage. Leak-free: a readout learns from a target only once it has been
// observed, with the features stored at its origin. Each stream's results depend on that stream's
// steps alone, so batching, restarts and moving a stream between instances change nothing.
// All state is one Float64Array record per slot (grown by doubling): no allocation per step.
import { grownTo } from '../engine/grow.js';
import { rlsPredict, rlsResetCovariance, rlsUpdate } from '../models/rls-kernel.js';
import { readoutLayout, VARIANTS, type ReadoutLayout, type StreamReadoutOptions } from './readout-layout.js';

export type { StreamReadoutOptions } from './readout-layout.js';

const DAY_MS = 86_400_000;
/** Features are clipped to ±FEATURE_CLIP scales: one wild step cannot blow up the readouts. */
const FEATURE_CLIP = 10;

export class StreamReadouts {
  private readonly layout: ReadoutLayout;
  private readonly o: StreamReadoutOptions;
  private data = new Float64Array(0);
  /** Slots whose record has been initialised. */
  private ready = new Uint8Array(0);
  private readonly pf: Float64Array;
  private readonly error = new Float64Array(1);
  private readonly prediction = new Float64Array(1);
  private readonly errDecay: number;
  /**
   * Per horizon h, the decay of the errors that choose the served candidate: a half-life of h times
   * errorHalfLife targets, because h-step errors overlap over h steps (h times fewer independent
   * errors in the same span), so the choice at long horizons is not left to noise.
   */
  private readonly errDecayByHorizon: Float64Array;
  private readonly bandDecay: number;
  private readonly maxTrace: number[];

  constructor(options: StreamReadoutOptions) {
    this.o = options;
    this.layout = readoutLayout(options);
    this.pf = new Float64Array(this.layout.d);
    this.errDecay = 0.5 ** (1 / options.errorHalfLife);
    this.errDecayByHorizon = Float64Array.from({ length: options.horizon }, (_, i) => 0.5 ** (1 / (options.errorHalfLife * (i + 1))));
    this.bandDecay = 0.5 ** (1 / options.bandHalfLife);
    this.maxTrace = options.priorVariances.map((v) => this.layout.d * v * 10);
  }

  /**
   * One step of a stream: learns from its value (unless imputed or not finite), then forecasts.
   * u: the level; centre, sd: the normaliser's centre and scale after the step; rec/recOff: the recurrent model's
   * outputs (mean, log-variance per horizon; ignored without options.recurrent); reset: the stream's
   * history restarts (first step, unfilled gap). Writes per horizon the forecast change and the
   * band's half-width, both in units of sd; false when nothing could be forecast.
   */
  step(
    slot: number,
    t: number,
    u: number,
    centre: number,
    sd: number,
    imputed: boolean,
    reset: boolean,
    rec: Float32Array,
    recOff: number,
    delta: Float64Array,
    half: Float64Array,
  ): boolean {
    const L = this.layout;
    const base = this.record(slot);
    const D = this.data;
    if (reset) D[base + L.idx] = 0;
    const idx = D[base + L.idx];
    if (!imputed && Number.isFinite(u)) {
      this.learn(base, idx, u);
      this.trackQuantum(base, idx, u);
      this.trackProfile(base, idx, t, u);
    }
    D[base + L.observed] = imputed ? 0 : 1;
    if (Number.isFinite(u)) {
      const fm = base + L.fastMean;
      D[fm] = idx === 0 || !Number.isFinite(D[fm]) ? u : FAST_DECAY * D[fm] + (1 - FAST_DECAY) * u;
    }
    // Push the level into the ring and forecast from it.
    D[base + L.ring + (idx % L.R)] = u;
    D[base + L.idx] = idx + 1;
    const o = idx % L.O;
    if (!(Number.isFinite(u) && sd > 0 && Number.isFinite(sd))) {
      D[base + L.oScale + o] = NaN;
      return false;
    }
    // The normaliser's first scales are unreliable (its first steps): origins before it has warmed
    // up forecast, but never teach the readouts or the bands.
    const age = ++D[base + L.age];
    D[base + L.oLevel + o] = u;
    D[base + L.oScale + o] = age > this.o.warmupSteps ? sd : NaN;
    this.forecast(base, idx, t, u, centre, sd, rec, recOff, delta, half);
    return true;
  }

  /** Starts a slot afresh (its stream was dropped and the slot is reused). */
  forget(slot: number): void {
    if (slot < this.ready.length) this.ready[slot] = 0;
  }

  /** The slot's whole record (a copy), for checkpoints. */
  exportSlot(slot: number): Float64Array {
    const base = this.record(slot);
    return this.data.slice(base, base + this.layout.stride);
  }

  /** Restores exportSlot's record; false (slot started afresh) when it was made with other settings. */
  importSlot(slot: number, record: Float64Array): boolean {
    const base = this.record(slot);
    if (record.length !== this.layout.stride || record[this.layout.signature] !== this.data[base + this.layout.signature]) {
      this.ready[slot] = 0;
      this.record(slot);
      return false;
    }
    this.data.set(record, base);
    return true;
  }

  private record(slot: number): number {
    const L = this.layout;
    if (this.ready.length <= slot) this.ready = grownTo(this.ready, slot + 1);
    if (this.data.length < (slot + 1) * L.stride) this.data = grownTo(this.data, this.ready.length * L.stride);
    const base = slot * L.stride;
    if (this.ready[slot] === 0) {
      this.initialise(base);
      this.ready[slot] = 1;
    }
    return base;
  }

  private initialise(base: number): void {
    const L = this.layout;
    const D = this.data;
    D.fill(0, base, base + L.stride);
    const { priorVariances } = this.o;
    for (let c = 0; c < L.C; c++) {
      for (let h = 0; h < L.H; h++) rlsResetCovariance(D, base + L.p + (c * L.H + h) * L.d * L.d, L.d, priorVariances[c]);
    }
    D.fill(this.o.intervalZ, base + L.k, base + L.k + L.H);
    D.fill(NaN, base + L.oScale, base + L.oScale + L.O);
    D[base + L.signature] = L.signatureValue;
  }

  /** The smallest change between two observed readings: the resolution the series is reported in. */
  private trackQuantum(base: number, idx: number, u: number): void {
    const L = this.layout;
    const D = this.data;
    if (idx === 0 || D[base + L.observed] !== 1) return;
    const change = Math.abs(u - D[base + L.ring + ((idx - 1) % L.R)]);
    // Float noise (0.1 + 0.2) is not a resolution.
    if (!(change > 1e-9 * Math.max(1, Math.abs(u)))) return;
    const q = D[base + L.quantum];
    if (q === 0 || change < q) D[base + L.quantum] = change;
  }

  /**
   * The seasonal profile: per phase of the season, a slowly forgetting mean of the one-step change
   * into that phase (a smoother seasonal pattern than one season ago alone).
   */
  private trackProfile(base: number, idx: number, t: number, u: number): void {
    const L = this.layout;
    const D = this.data;
    if (L.S === 0 || idx === 0 || D[base + L.observed] !== 1) return;
    const at = base + L.profile + phaseOf(t, this.o.stepMs, L.S);
    D[at] = PROFILE_DECAY * D[at] + (1 - PROFILE_DECAY) * (u - D[base + L.ring + ((idx - 1) % L.R)]);
  }

  /** Every horizon whose origin is idx - h learns from u (the level observed at step idx). */
  private learn(base: number, idx: number, u: number): void {
    const L = this.layout;
    const D = this.data;
    const { H, C, V, d, O } = L;
    const lambda = this.o.forgetting;
    const ed = this.errDecay;
    const bd = this.bandDecay;
    for (let h = 1; h <= H && h <= idx; h++) {
      const o = (idx - h) % O;
      const sdO = D[base + L.oScale + o];
      if (!(sdO > 0)) continue;
      const y = clipTarget((u - D[base + L.oLevel + o]) / sdO);
      const hi = h - 1;
      const featOff = base + L.feat + (o * H + hi) * d;
      // Out-of-sample squared and absolute errors of each variant and of persistence choose the served one.
      const errOff = base + L.err + hi * (V + 1) * 2;
      const predOff = base + L.pred + (o * H + hi) * V;
      for (let c = 0; c < C; c++) {
        const p = D[predOff + VARIANTS * c];
        const shrinkOff = base + L.shrink + (c * H + hi) * 2;
        D[shrinkOff] = ed * D[shrinkOff] + (1 - ed) * y * p;
        D[shrinkOff + 1] = ed * D[shrinkOff + 1] + (1 - ed) * p * p;
      }
      const eh = this.errDecayByHorizon[hi];
      for (let v = 0; v <= V; v++) {
        const e = v < V ? y - D[predOff + v] : y;
        D[errOff + 2 * v] = eh * D[errOff + 2 * v] + (1 - eh) * e * e;
        D[errOff + 2 * v + 1] = eh * D[errOff + 2 * v + 1] + (1 - eh) * Math.abs(e);
      }
      D[base + L.n + hi]++;
      // The band: the served forecast's residual scale, and a factor tracking the nominal coverage.
      const r = y - D[base + L.served + o * H + hi];
      const s2 = D[base + L.s2 + hi];
      const w = D[base + L.s2w + hi];
      // Errors beyond ROBUST_Z residual scales (an anomaly, a jump) count only up to that much in
      // the scale and the readouts: a spike or a burst must not teach the forecaster to follow it
      // (the alerts would go blind to it). Misses still count in full for the coverage factor.
      let limit = Infinity;
      if (w > 0) {
        const sigma = Math.sqrt(s2 / w);
        const kOff = base + L.k + hi;
        const miss = Math.abs(r) > D[kOff] * sigma ? 1 : 0;
        D[kOff] = Math.min(50, Math.max(0.1, D[kOff] * (1 + this.o.bandRate * (miss - this.o.missRate))));
        if (w >= this.o.bandWarmupWeight) limit = ROBUST_Z * sigma;
      }
      const rc = r > limit ? limit : r < -limit ? -limit : r;
      D[base + L.s2 + hi] = bd * s2 + (1 - bd) * rc * rc;
      D[base + L.s2w + hi] = bd * w + (1 - bd);
      for (let c = 0; c < C; c++) {
        const wOff = base + L.w + (c * H + hi) * d;
        rlsPredict(D, wOff, d, 1, D, featOff, this.prediction);
        const e = y - this.prediction[0];
        this.error[0] = e > limit ? limit : e < -limit ? -limit : e;
        rlsUpdate(D, wOff, D, base + L.p + (c * H + hi) * d * d, d, 1, D, featOff, this.error, lambda, this.maxTrace[c], this.pf);
      }
    }
  }

  private forecast(
    base: number,
    idx: number,
    t: number,
    u: number,
    centre: number,
    sd: number,
    rec: Float32Array,
    recOff: number,
    delta: Float64Array,
    half: Float64Array,
  ): void {
    const L = this.layout;
    const D = this.data;
    const { H, C, V, d, O, R, K, S } = L;
    const o = idx % O;
    const ring = base + L.ring;
    const inv = 1 / sd;
    // The lagged changes and the mean reversion are the same for every h: computed once (into
    // h = 1's row), then copied, instead of once per horizon (the same values: bit-identical).
    const lagsAt = base + L.feat + o * H * d + 1;
    for (let k = 1; k <= K; k++)
      D[lagsAt + k - 1] = idx - k >= 0 ? clip((D[ring + ((idx - k + 1) % R)] - D[ring + ((idx - k) % R)]) * inv) : 0;
    const reversion = clip((u - centre) * inv);
    const fastReversion = clip((u - D[base + L.fastMean]) * inv);
    let profileSum = 0;
    for (let h = 1; h <= H; h++) {
      const hi = h - 1;
      const f = base + L.feat + (o * H + hi) * d;
      let j = 0;
      D[f + j++] = 1;
      if (hi > 0) for (let k = 0; k < K; k++) D[f + j + k] = D[lagsAt + k];
      j += K;
      if (S > 0) {
        // The change over the same h steps one season earlier (the seasonal naive forecast of the change).
        const from = idx - S;
        const to = idx + h - S;
        D[f + j++] = from >= 0 && to <= idx ? clip((D[ring + (to % R)] - D[ring + (from % R)]) * inv) : 0;
      }
      if (S > 0) {
        // The profile's changes over the next h phases.
        profileSum += D[base + L.profile + phaseOf(t + h * this.o.stepMs, this.o.stepMs, S)];
        D[f + j++] = clip(profileSum * inv);
      }
      // Mean reversion: where the level stands against the normaliser's centre.
      D[f + j++] = reversion;
      // And against its own recent mean (a noisy reading tends back to it).
      D[f + j++] = fastReversion;
      if (L.calendar) {
        const phase = (2 * Math.PI * ((((t + h * this.o.stepMs) % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
        D[f + j++] = Math.sin(phase);
        D[f + j++] = Math.cos(phase);
        D[f + j++] = Math.sin(2 * phase);
        D[f + j++] = Math.cos(2 * phase);
      }
      if (L.recurrent) {
        const m = rec[recOff + 2 * hi];
        D[f + j++] = Number.isFinite(m) ? clip(m) : 0;
      }
      // Variants: each readout's forecast, raw and shrunk towards persistence, each also rounded to
      // the stream's quantum (readings in steps of 0.1 °C: an unchanged reading is then forecast exactly), once the readout has
      // learned from enough targets; else persistence. Then their combination, weighted by inverse
      // recent MSE with persistence (a forecast of no change) among them: averaging variants beats
      // picking one when none wins clearly. Served: the lowest weighted sum of recent MSE and MAE,
      // each relative to persistence's, so neither measure is traded away for the other.
      const errOff = base + L.err + hi * (V + 1) * 2;
      const predOff = base + L.pred + (o * H + hi) * V;
      const trusted = D[base + L.n + hi] >= this.o.minUpdates;
      const sqP = D[errOff + 2 * V];
      const absP = D[errOff + 2 * V + 1];
      const quantum = D[base + L.quantum] / sd;
      let best = 0;
      // The margin grows with sqrt(h): an h-step error differs from persistence's by the sum of up
      // to h one-step noises, so a chance lead over persistence grows that way too.
      let bestScore = 2 * (1 - (1 - SERVE_MARGIN) * Math.sqrt(h));
      for (let c = 0; c < C; c++) {
        rlsPredict(D, base + L.w + (c * H + hi) * d, d, 1, D, f, this.prediction);
        const p = this.prediction[0];
        // Shrunk towards persistence by the factor that fits the readout's own recent forecasts best.
        const shrinkOff = base + L.shrink + (c * H + hi) * 2;
        const spp = D[shrinkOff + 1];
        const a = spp > 0 ? Math.min(1.2, Math.max(0, D[shrinkOff] / spp)) : 0;
        const v = predOff + VARIANTS * c;
        D[v] = p;
        D[v + 1] = quantum > 0 ? quantum * Math.round(p / quantum) : p;
        D[v + 2] = a * p;
        D[v + 3] = quantum > 0 ? quantum * Math.round((a * p) / quantum) : a * p;
      }
      // The combination: every readout variant and persistence, weighted by inverse recent MSE
      // (persistence's weight keeps it near no change until the readouts have proved better).
      let wSum = sqP > 0 ? 1 / sqP : 0;
      let fSum = 0;
      for (let v = 0; trusted && v < V - 1; v++) {
        const e2 = D[errOff + 2 * v];
        if (!(e2 > 0)) continue;
        wSum += 1 / e2;
        fSum += D[predOff + v] / e2;
      }
      D[predOff + V - 1] = wSum > 0 ? fSum / wSum : 0;
      if (trusted && sqP > 0 && absP > 0) {
        for (let v = 0; v < V; v++) {
          const score = (MSE_WEIGHT * D[errOff + 2 * v]) / sqP + ((2 - MSE_WEIGHT) * D[errOff + 2 * v + 1]) / absP;
          if (score < bestScore) {
            bestScore = score;
            best = D[predOff + v];
          }
        }
      }
      delta[hi] = best;
      D[base + L.served + o * H + hi] = best;
      const w = D[base + L.s2w + hi];
      if (w >= this.o.bandWarmupWeight) {
        half[hi] = D[base + L.k + hi] * Math.sqrt(D[base + L.s2 + hi] / w);
      } else {
        // Too few residuals yet: the recurrent model's own variance (unit variance if untrained).
        const lv = rec[recOff + 2 * hi + 1];
        half[hi] = this.o.intervalZ * Math.exp(0.5 * (Number.isFinite(lv) ? Math.min(10, Math.max(-10, lv)) : 0));
      }
    }
  }
}

/**
 * A readout serves only when its recent relative MSE + MAE is below 2 × this at h = 1 (persistence
 * scores 2; the margin 1 - this grows with sqrt(h)): on a random walk, noise alone would otherwise
 * pick a readout half the time and lose a little.
 */
const SERVE_MARGIN = 0.98;

/**
 * Weight of the MSE part of the selection score (the MAE part weighs 2 minus this): leaning to MSE
 * serves the readouts' conditional mean more often; the MAE part still keeps a forecaster that
 * moves the median away from an unchanged reading out.
 */
const MSE_WEIGHT = 1.5;

/** Per-step decay of the fast mean the level is compared with: a half-life of 8 steps. */
const FAST_DECAY = 0.5 ** (1 / 8);

/** Residual scales beyond which an error is clipped where the readouts and bands learn from it. */
const ROBUST_Z = 4;

/** Targets beyond ±TARGET_CLIP scales (a level jump, a split) teach no more than that. */
const TARGET_CLIP = 50;

function clipTarget(v: number): number {
  return v > TARGET_CLIP ? TARGET_CLIP : v < -TARGET_CLIP ? -TARGET_CLIP : v;
}

/** Per-update decay of the seasonal profile: a half-life of 7 seasons (a week of days). */
const PROFILE_DECAY = 0.5 ** (1 / 7);

/** Phase of time t in a season of S steps of stepMs. */
function phaseOf(t: number, stepMs: number, S: number): number {
  const k = Math.floor(t / stepMs) % S;
  return k < 0 ? k + S : k;
}

function clip(v: number): number {
  return v > FEATURE_CLIP ? FEATURE_CLIP : v < -FEATURE_CLIP ? -FEATURE_CLIP : v;
}
