// Online multinomial logistic regression: p = softmax(W·x̂ + b) over standardised features x̂,
// one SGD step per labelled example with AdaGrad step sizes and a small L2 pull. The features are
// standardised by running (exponentially weighted) means and variances so one learning rate fits
// features of any scale. Float64 typed arrays, nothing allocated per call.

export interface SoftmaxRegressionOptions {
  readonly learningRate?: number;
  readonly l2?: number;
  /** Half-life of the feature standardisation, in examples. */
  readonly scaleHalfLife?: number;
}

export class SoftmaxRegression {
  readonly features: number;
  readonly classes: number;
  /** Labelled examples learned from. */
  examples = 0;
  private readonly w: Float64Array; // classes × (features + 1), the last column the bias
  private readonly g2: Float64Array; // AdaGrad sums of squared gradients
  private readonly mean: Float64Array;
  private readonly var: Float64Array;
  private readonly xs: Float64Array; // the standardised example
  private readonly p: Float64Array;
  private readonly lr: number;
  private readonly l2: number;
  private readonly decay: number;
  private seen = 0;

  constructor(features: number, classes: number, o: SoftmaxRegressionOptions = {}) {
    this.features = features;
    this.classes = classes;
    this.w = new Float64Array(classes * (features + 1));
    this.g2 = new Float64Array(this.w.length);
    this.mean = new Float64Array(features);
    this.var = new Float64Array(features).fill(1);
    this.xs = new Float64Array(features + 1);
    this.p = new Float64Array(classes);
    this.lr = o.learningRate ?? 0.1;
    this.l2 = o.l2 ?? 1e-4;
    this.decay = 2 ** (-1 / (o.scaleHalfLife ?? 2000));
  }

  /** Class probabilities of x (from xOff) into out (classes values). Non-finite features count as their mean. */
  predict(x: ArrayLike<number>, xOff: number, out: Float64Array): void {
    this.standardise(x, xOff);
    this.scores(out);
  }

  /** One SGD step on (x, label); returns the cross-entropy before the step. Updates the standardisation first. */
  learn(x: ArrayLike<number>, xOff: number, label: number): number {
    const F = this.features;
    // Standardisation statistics learn from labelled examples only, before they are used.
    const a = this.seen === 0 ? 0 : this.decay;
    for (let j = 0; j < F; j++) {
      const v = x[xOff + j];
      if (!Number.isFinite(v)) continue;
      const d = v - this.mean[j];
      this.mean[j] += (1 - a) * d;
      this.var[j] = a * (this.var[j] + (1 - a) * d * d);
    }
    this.seen++;
    this.standardise(x, xOff);
    const p = this.p;
    this.scores(p);
    const loss = -Math.log(Math.max(1e-12, p[label]));
    const row = F + 1;
    for (let k = 0; k < this.classes; k++) {
      const err = p[k] - (k === label ? 1 : 0);
      for (let j = 0; j <= F; j++) {
        const i = k * row + j;
        const g = err * this.xs[j] + (j < F ? this.l2 * this.w[i] : 0);
        this.g2[i] += g * g;
        this.w[i] -= (this.lr * g) / Math.sqrt(this.g2[i] + 1e-8);
      }
    }
    this.examples++;
    return loss;
  }

  private standardise(x: ArrayLike<number>, xOff: number): void {
    for (let j = 0; j < this.features; j++) {
      const v = x[xOff + j];
      const s = Math.sqrt(this.var[j]);
      this.xs[j] = Number.isFinite(v) && s > 1e-12 ? (v - this.mean[j]) / s : 0;
    }
    this.xs[this.features] = 1;
  }

  private scores(out: Float64Array): void {
    const row = this.features + 1;
    let max = -Infinity;
    for (let k = 0; k < this.classes; k++) {
      let s = 0;
      for (let j = 0; j < row; j++) s += this.w[k * row + j] * this.xs[j];
      out[k] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let k = 0; k < this.classes; k++) {
      out[k] = Math.exp(out[k] - max);
      sum += out[k];
    }
    for (let k = 0; k < this.classes; k++) out[k] /= sum;
  }
}
