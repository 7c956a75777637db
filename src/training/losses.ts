// Losses over head outputs laid out as [rows × horizon × outputSize × 2] (mean, log-variance)
// against targets [rows × horizon × outputSize]. NaN targets mean "no target here" (e.g. a horizon
// past the end of the data) and are skipped. Each returns the mean loss over the targets used and
// writes dLoss/dOutputs into dOut (zero where skipped).

export type LossName = 'mse' | 'gaussian-nll';

/** Log-variances are clamped to this range inside the Gaussian NLL, so one bad step cannot blow up. */
export const LOG_VAR_MIN = -12;
export const LOG_VAR_MAX = 12;

export function mseLoss(out: Float32Array, targets: Float32Array, count: number, dOut: Float32Array): number {
  let n = 0;
  for (let i = 0; i < count; i++) if (!Number.isNaN(targets[i])) n++;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const y = targets[i];
    if (Number.isNaN(y)) {
      dOut[2 * i] = 0;
      dOut[2 * i + 1] = 0;
      continue;
    }
    const e = out[2 * i] - y;
    sum += e * e;
    dOut[2 * i] = (2 * e) / n;
    dOut[2 * i + 1] = 0;
  }
  return n === 0 ? 0 : sum / n;
}

/** 0.5·(log σ² + (y-μ)²/σ²), without the constant 0.5·log 2π (as PyTorch's GaussianNLLLoss). */
export function gaussianNllLoss(out: Float32Array, targets: Float32Array, count: number, dOut: Float32Array): number {
  let n = 0;
  for (let i = 0; i < count; i++) if (!Number.isNaN(targets[i])) n++;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const y = targets[i];
    if (Number.isNaN(y)) {
      dOut[2 * i] = 0;
      dOut[2 * i + 1] = 0;
      continue;
    }
    const raw = out[2 * i + 1];
    const lv = raw < LOG_VAR_MIN ? LOG_VAR_MIN : raw > LOG_VAR_MAX ? LOG_VAR_MAX : raw;
    const inv = Math.exp(-lv);
    const e = out[2 * i] - y;
    sum += 0.5 * (lv + e * e * inv);
    dOut[2 * i] = (e * inv) / n;
    dOut[2 * i + 1] = raw === lv ? (0.5 * (1 - e * e * inv)) / n : 0;
  }
  return n === 0 ? 0 : sum / n;
}

export function lossFunction(name: LossName): typeof mseLoss {
  return name === 'mse' ? mseLoss : gaussianNllLoss;
}
