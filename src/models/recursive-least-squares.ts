// Exponentially weighted recursive least squares: an online linear regression updated in O(D² + D·C)
// per observation (the arithmetic is rls-kernel.ts's). Used as a forecasting head that learns from every new truth without gradient steps.
import { rlsPredict, rlsUpdate } from './rls-kernel.js';

export interface RecursiveLeastSquaresOptions {
  /** Number of input features D (include a constant 1 feature yourself for a bias). */
  readonly features: number;
  /** Number of outputs C regressed on the same features. */
  readonly outputs: number;
  /** Forgetting factor λ in (0, 1]: the effective memory is about 1 / (1 - λ) observations. */
  readonly forgetting: number;
  /** Initial diagonal of the inverse-covariance P: large = weak prior towards zero weights. */
  readonly initialScale?: number;
  /** Bound on trace(P): stops covariance wind-up when features stop varying (λ < 1 would blow P up). */
  readonly maxTrace?: number;
  /** Half-life in updates of the running residual variance that gives forecasts their uncertainty. */
  readonly residualHalfLife?: number;
}

export class RecursiveLeastSquares {
  readonly features: number;
  readonly outputs: number;
  readonly forgetting: number;
  readonly maxTrace: number;
  /** Weights, row-major [features × outputs]. */
  readonly weights: Float64Array;
  /** Inverse covariance, row-major [features × features], kept symmetric. */
  readonly p: Float64Array;
  /** Exponentially weighted mean squared residual per output (before the update saw the truth). */
  readonly residualVariance: Float64Array;
  updates: number;
  private readonly residualDecay: number;
  private readonly pf: Float64Array;
  private readonly error: Float64Array;

  constructor(options: RecursiveLeastSquaresOptions) {
    const { features, outputs, forgetting } = options;
    if (!(forgetting > 0 && forgetting <= 1)) throw new RangeError(`forgetting must be in (0, 1], got ${forgetting}`);
    this.features = features;
    this.outputs = outputs;
    this.forgetting = forgetting;
    const initialScale = options.initialScale ?? 1;
    this.maxTrace = options.maxTrace ?? features * initialScale * 10;
    this.weights = new Float64Array(features * outputs);
    this.p = new Float64Array(features * features);
    for (let i = 0; i < features; i++) this.p[i * features + i] = initialScale;
    this.residualVariance = new Float64Array(outputs).fill(1);
    this.updates = 0;
    this.residualDecay = 0.5 ** (1 / (options.residualHalfLife ?? 500));
    this.pf = new Float64Array(features);
    this.error = new Float64Array(outputs);
  }

  /** out[c] = Σ_d x[d]·W[d, c]. */
  predict(x: ArrayLike<number>, out: Float64Array | Float32Array): void {
    rlsPredict(this.weights, 0, this.features, this.outputs, x, 0, out);
  }

  /** Learns from one (features, targets) pair; returns nothing and allocates nothing. */
  update(x: ArrayLike<number>, y: ArrayLike<number>): void {
    const { outputs: c, error } = this;
    this.predict(x, error);
    for (let j = 0; j < c; j++) {
      const e = y[j] - error[j];
      error[j] = e;
      this.residualVariance[j] = this.residualDecay * this.residualVariance[j] + (1 - this.residualDecay) * e * e;
    }
    rlsUpdate(this.weights, 0, this.p, 0, this.features, c, x, 0, error, this.forgetting, this.maxTrace, this.pf);
    this.updates++;
  }

  /** Everything needed to resume exactly: weights, P, residual variances and the update count. */
  snapshot(): Float64Array {
    const out = new Float64Array(this.weights.length + this.p.length + this.outputs + 1);
    out.set(this.weights, 0);
    out.set(this.p, this.weights.length);
    out.set(this.residualVariance, this.weights.length + this.p.length);
    out[out.length - 1] = this.updates;
    return out;
  }

  restore(snapshot: Float64Array): void {
    const expected = this.weights.length + this.p.length + this.outputs + 1;
    if (snapshot.length !== expected) {
      throw new RangeError(`RLS snapshot has ${snapshot.length} values, expected ${expected}`);
    }
    this.weights.set(snapshot.subarray(0, this.weights.length));
    this.p.set(snapshot.subarray(this.weights.length, this.weights.length + this.p.length));
    this.residualVariance.set(snapshot.subarray(this.weights.length + this.p.length, expected - 1));
    this.updates = snapshot[expected - 1];
  }
}
