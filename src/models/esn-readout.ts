import { TidecastError } from '../core/errors.js';
import { BatchedStepper } from './batched-stepper.js';
import type { StackedModel } from './stacked-model.js';
import { solveSymmetric } from './solve-symmetric.js';
import { StateArena } from './state-arena.js';

// The readout of an echo state network in closed form: ridge regression of the targets on the top
// reservoir layer's state (plus a constant), the only training an ESN gets. The reservoir is run
// over the window of every stream from a zero state (`washout` steps dropped: the transient from
// that state), then per horizon w = (ΦᵀΦ + ridge·N·I)⁻¹ Φᵀy over the N rows with a target (the
// constant is not penalised; ridge is per row, so it does not depend on the window size). The
// log-variance column of each horizon gets the fit's residual variance as its bias.

export interface ReadoutData {
  readonly steps: number;
  readonly batch: number;
  /** steps × batch × inputSize (time-major, as training/tbptt). */
  readonly inputs: Float32Array;
  /** steps × batch × horizon · outputSize; NaN = no target. */
  readonly targets: Float32Array;
}

export interface ReadoutOptions {
  /** Ridge penalty per row (λ in mean squared error + λ‖w‖²). */
  readonly ridge: number;
  /** Steps at the start of every stream not fitted on. */
  readonly washout: number;
}

export interface ReadoutReport {
  /** Rows fitted on (stream-steps after the washout with at least one target). */
  readonly rows: number;
  /** Mean squared error of the fitted readout on its own rows, averaged over outputs. */
  readonly trainMse: number;
  /** The same for a zero readout (persistence, since targets are changes). */
  readonly zeroMse: number;
}

export function fitEsnReadout(model: StackedModel, data: ReadoutData, options: ReadoutOptions): ReadoutReport {
  const { steps: T, batch: B } = data;
  const inSize = model.config.inputSize;
  const outs = model.config.horizon * model.config.outputSize;
  if (data.inputs.length < T * B * inSize || data.targets.length < T * B * outs) {
    throw new RangeError(`readout data of ${T} steps × ${B} streams needs ${T * B * inSize} inputs and ${T * B * outs} targets`);
  }
  if (!(options.ridge >= 0)) throw new TidecastError(`ridge must be >= 0, got ${options.ridge}.`, 'config_invalid', false);
  const top = model.stateLayout[model.stateLayout.length - 1];
  const d = top.units + 1;
  // Features of every kept row (float64: the Gram matrix is summed over many rows).
  const rowsMax = Math.max(0, T - options.washout) * B;
  const phi = new Float64Array(rowsMax * d);
  const y = new Float64Array(rowsMax * outs);
  const arena = new StateArena(model.stateSize, B);
  const slots = new Int32Array(B);
  for (let b = 0; b < B; b++) slots[b] = arena.slotOf(`s${b}`);
  const stepper = new BatchedStepper(model, arena, B);
  const out = new Float32Array(B * model.outputWidth);
  let n = 0;
  for (let t = 0; t < T; t++) {
    stepper.step(slots, B, data.inputs.subarray(t * B * inSize, (t + 1) * B * inSize), out);
    if (t < options.washout) continue;
    for (let b = 0; b < B; b++) {
      const tOff = (t * B + b) * outs;
      let any = false;
      for (let o = 0; o < outs; o++) if (Number.isFinite(data.targets[tOff + o])) any = true;
      if (!any) continue;
      const row = arena.data.subarray(slots[b] * model.stateSize + top.hOffset);
      for (let j = 0; j < top.units; j++) phi[n * d + j] = row[j];
      phi[n * d + top.units] = 1;
      for (let o = 0; o < outs; o++) y[n * outs + o] = data.targets[tOff + o];
      n++;
    }
  }
  if (n === 0) throw new TidecastError('The ESN readout has no rows with a target after the washout.', 'config_invalid', false);
  // Gram matrix over all rows once; per output, the rows without a target are taken out again.
  const gram = new Float64Array(d * d);
  for (let r = 0; r < n; r++) addOuter(gram, phi, r * d, d, 1);
  const a = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  const w = new Float64Array(d);
  const head = model.headKernel.data;
  const bias = model.headBias.data;
  const width = model.outputWidth;
  let mseSum = 0;
  let zeroSum = 0;
  for (let o = 0; o < outs; o++) {
    a.set(gram);
    rhs.fill(0);
    let m = 0;
    for (let r = 0; r < n; r++) {
      const v = y[r * outs + o];
      if (Number.isFinite(v)) {
        m++;
        for (let j = 0; j < d; j++) rhs[j] += phi[r * d + j] * v;
      } else {
        addOuter(a, phi, r * d, d, -1);
      }
    }
    if (m === 0) {
      w.fill(0);
    } else {
      for (let j = 0; j < d - 1; j++) a[j * d + j] += options.ridge * m;
      a[(d - 1) * d + d - 1] += 1e-9 * m; // the constant: unpenalised, kept positive definite
      if (!solveSymmetric(a, rhs, w, d))
        throw new TidecastError('The ESN readout system is not positive definite (raise model.esn.ridge).', 'config_invalid', false);
    }
    let sse = 0,
      sz = 0;
    for (let r = 0; r < n; r++) {
      const v = y[r * outs + o];
      if (!Number.isFinite(v)) continue;
      let p = 0;
      for (let j = 0; j < d; j++) p += phi[r * d + j] * w[j];
      sse += (v - p) ** 2;
      sz += v * v;
    }
    const mse = m > 0 ? sse / m : 1;
    mseSum += mse;
    zeroSum += m > 0 ? sz / m : 1;
    for (let j = 0; j < d - 1; j++) {
      head[j * width + 2 * o] = w[j];
      head[j * width + 2 * o + 1] = 0;
    }
    bias[2 * o] = w[d - 1];
    bias[2 * o + 1] = Math.log(Math.max(mse, 1e-6));
  }
  return { rows: n, trainMse: mseSum / outs, zeroMse: zeroSum / outs };
}

function addOuter(g: Float64Array, phi: Float64Array, off: number, d: number, sign: 1 | -1): void {
  for (let i = 0; i < d; i++) {
    const pi = sign * phi[off + i];
    if (pi === 0) continue;
    for (let j = 0; j < d; j++) g[i * d + j] += pi * phi[off + j];
  }
}
