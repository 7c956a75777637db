// Multivariate baseline deviation of one asset (a machine with several sensor streams): how far the
// asset's sensors have moved, together, from their own slow baselines. A valve half closed moves the
// flow by one quantisation step and the pressure and current by a fraction of their noise each; no
// single sensor is far out, but the joint move is, once the sensors' usual co-movement is accounted
// for. A multivariate EWMA chart (MEWMA, Lowry et al. 1992) on baseline-standardised values:
// - per sensor, z = (x - mean) / sd against an EWMA baseline (half-life `halfLife` steps; a plain
//   running mean over the first `warmup` steps, which are not scored), clipped at ±CLIP;
// - the vector of z is smoothed by an EWMA of span `span` (zs), so lone spikes stay the surprise's;
// - T² = zsᵀ S⁻¹ zs with S the covariance of zs learnt over normal steps (EWMA, half-life
//   `covHalfLife`), shrunk towards its diagonal by `shrinkage` (Ledoit-Wolf style: a few hundred
//   steps cannot pin down d² entries) and each variance at least zs's white-noise variance;
// - the output is -log10 P(χ²_d ≥ T²) by the Wilson-Hilferty cube-root normal approximation
//   (unbounded, on the surprise scale of the other detectors);
// - a sensor's baseline stops learning while its own smoothed deviation is >= `sensorFreezeZ` of its
//   learnt spread, and the covariance while the output surprise is >= `freezeSurprise` (an ongoing
//   fault is not absorbed into normal; a neighbour's slow drift still is), each for at most
//   `maxFreeze` steps: a change lasting longer is the new normal.
// A sensor with no finite value at a step keeps its previous smoothed deviation and learns nothing.
// O(d³) per step (a Cholesky solve; d = 8: ~200 flops), no allocation after construction.
import { upperTailSurprise } from './normal-tail.js';

export interface MultivariateDeviationOptions {
  /** Half-life of each sensor's baseline mean and variance, in steps. */
  readonly halfLife: number;
  /** EWMA span of the smoothed deviation vector, in steps. */
  readonly span: number;
  /** Half-life of the learnt covariance of the smoothed deviations, in steps. */
  readonly covHalfLife: number;
  /** Weight of the diagonal target in the shrunk covariance, 0..1. */
  readonly shrinkage: number;
  /** A sensor's baseline stops learning while its smoothed deviation is at least this, in its learnt sds. */
  readonly sensorFreezeZ: number;
  /** The covariance stops learning while the output surprise is at least this (-log10 p). */
  readonly freezeSurprise: number;
  /** Frozen steps after which a baseline or the covariance learns again (the change is the new normal). */
  readonly maxFreeze: number;
  /** Steps that only learn (running means and variances) before a deviation is given. */
  readonly warmup: number;
}

export const defaultMultivariateDeviationOptions: MultivariateDeviationOptions = {
  halfLife: 600,
  span: 10,
  covHalfLife: 600,
  shrinkage: 0.3,
  sensorFreezeZ: 3,
  freezeSurprise: 5,
  maxFreeze: 300,
  warmup: 50,
};

const CLIP = 8;
const MIN_VAR = 1e-18;

export class MultivariateDeviation {
  readonly sensors: number;
  private count = 0;
  /** Steps the covariance has not learnt (joint deviation too large). */
  private covFrozen = 0;
  /** Per sensor: steps its baseline has not learnt. */
  private readonly frozen: Int32Array;
  private readonly mean: Float64Array;
  private readonly variance: Float64Array;
  private readonly smoothed: Float64Array;
  private readonly seen: Uint8Array;
  private readonly z: Float64Array;
  /** Learnt covariance of the smoothed deviations (row-major d × d). */
  private readonly cov: Float64Array;
  private covCount = 0;
  /** Work: the shrunk covariance's Cholesky factor and the solve's vector. */
  private readonly chol: Float64Array;
  private readonly y: Float64Array;
  private readonly alpha: number;
  private readonly alphaCov: number;
  private readonly beta: number;
  private readonly theoryVar: number;
  /** T² of the last update (NaN while warming up), for tests and diagnostics. */
  lastT2 = NaN;

  constructor(
    sensors: number,
    readonly options: MultivariateDeviationOptions = defaultMultivariateDeviationOptions,
  ) {
    if (!(Number.isInteger(sensors) && sensors >= 1)) throw new Error(`sensors must be a positive integer, got ${sensors}`);
    this.sensors = sensors;
    this.mean = new Float64Array(sensors);
    this.variance = new Float64Array(sensors);
    this.smoothed = new Float64Array(sensors);
    this.seen = new Uint8Array(sensors);
    this.frozen = new Int32Array(sensors);
    this.z = new Float64Array(sensors);
    this.cov = new Float64Array(sensors * sensors);
    this.chol = new Float64Array(sensors * sensors);
    this.y = new Float64Array(sensors);
    this.alpha = 1 - 2 ** (-1 / options.halfLife);
    this.alphaCov = 1 - 2 ** (-1 / options.covHalfLife);
    this.beta = 2 / (options.span + 1);
    this.theoryVar = this.beta / (2 - this.beta);
  }

  /**
   * Adds one timestamp's values (one per sensor, in a fixed order; non-finite: not seen at this
   * time); returns the joint deviation's surprise, NaN while warming up or when no sensor is finite.
   */
  update(values: ArrayLike<number>): number {
    const d = this.sensors;
    let any = false;
    for (let j = 0; j < d; j++) if (Number.isFinite(values[j])) any = true;
    if (!any) return NaN;
    const n = this.count;
    if (n < this.options.warmup) {
      this.learnBaseline(values, 1 / (n + 1));
      this.count++;
      this.lastT2 = NaN;
      return NaN;
    }
    const b = this.beta;
    for (let j = 0; j < d; j++) {
      const x = values[j];
      if (!Number.isFinite(x)) {
        this.z[j] = NaN;
        continue;
      }
      const zr = (x - this.mean[j]) / Math.sqrt(Math.max(this.variance[j], MIN_VAR));
      const z = zr > CLIP ? CLIP : zr < -CLIP ? -CLIP : zr;
      this.z[j] = z;
      this.smoothed[j] += b * (z - this.smoothed[j]);
    }
    const t2 = this.mahalanobis();
    this.lastT2 = t2;
    const surprise = wilsonHilfertySurprise(t2, d);
    // Each sensor's baseline stops learning while its own smoothed deviation is far out (in sds of
    // its learnt spread): a flow that moved must not be absorbed, while a neighbour's slow drift still is.
    const a = Math.max(this.alpha, 1 / (n + 1));
    const maxFreeze = this.options.maxFreeze;
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(values[j])) continue;
      const ratio = Math.abs(this.smoothed[j]) / Math.sqrt(Math.max(this.cov[j * d + j], this.theoryVar));
      if (ratio < this.options.sensorFreezeZ || this.frozen[j] >= maxFreeze) {
        this.learnSensor(j, values[j], a);
        this.frozen[j] = 0;
      } else this.frozen[j]++;
    }
    // The co-movement learns only while the joint deviation is ordinary.
    if (surprise < this.options.freezeSurprise || this.covFrozen >= maxFreeze) {
      this.learnCovariance();
      this.covFrozen = 0;
    } else this.covFrozen++;
    if (this.count < 0x7fffffff) this.count++;
    return surprise;
  }

  private learnBaseline(values: ArrayLike<number>, a: number): void {
    for (let j = 0; j < this.sensors; j++) if (Number.isFinite(values[j])) this.learnSensor(j, values[j], a);
  }

  private learnSensor(j: number, x: number, a: number): void {
    if (!this.seen[j]) {
      // A sensor's first value starts its mean (it may join after the others).
      this.seen[j] = 1;
      this.mean[j] = x;
      return;
    }
    const e = x - this.mean[j];
    this.mean[j] += a * e;
    this.variance[j] = (1 - a) * (this.variance[j] + a * e * e);
  }

  private learnCovariance(): void {
    const d = this.sensors;
    const a = Math.max(this.alphaCov, 1 / (this.covCount + 1));
    const s = this.smoothed;
    for (let i = 0; i < d; i++)
      for (let j = 0; j <= i; j++) {
        const v = (1 - a) * this.cov[i * d + j] + a * s[i] * s[j];
        this.cov[i * d + j] = v;
        this.cov[j * d + i] = v;
      }
    this.covCount++;
  }

  /** zsᵀ S⁻¹ zs with S the shrunk, floored covariance (Cholesky; sensors never seen are left out). */
  private mahalanobis(): number {
    const d = this.sensors;
    const lambda = this.options.shrinkage;
    const L = this.chol;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        // (1 - λ)·C + λ·diag(C) is positive definite for a PSD C; raising the diagonal to the floor keeps it so.
        let sum = i === j ? Math.max(this.cov[i * d + i], this.theoryVar) : (1 - lambda) * this.cov[i * d + j];
        for (let k = 0; k < j; k++) sum -= L[i * d + k] * L[j * d + k];
        if (i === j) L[i * d + i] = Math.sqrt(Math.max(sum, this.theoryVar * 1e-6));
        else L[i * d + j] = sum / L[j * d + j];
      }
    }
    let t2 = 0;
    for (let i = 0; i < d; i++) {
      let sum = this.seen[i] ? this.smoothed[i] : 0;
      for (let k = 0; k < i; k++) sum -= L[i * d + k] * this.y[k];
      const yi = sum / L[i * d + i];
      this.y[i] = yi;
      t2 += yi * yi;
    }
    return t2;
  }
}

/**
 * -log10 P(χ²_k ≥ t) for any k (surprise-tests.ts's chiSquareSurprise is exact but needs an even
 * k; an asset may have an odd number of sensors), by Wilson and Hilferty (1931): (t/k)^(1/3) is close to normal with mean
 * 1 - 2/(9k) and variance 2/(9k). Unbounded; within a few % of the exact tail for k >= 2 up to p = 1e-6.
 */
export function wilsonHilfertySurprise(t: number, k: number): number {
  if (!(t > 0)) return 0;
  const v = 2 / (9 * k);
  return upperTailSurprise((Math.cbrt(t / k) - (1 - v)) / Math.sqrt(v));
}
