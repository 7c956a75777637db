import { createWasmKernels } from '../models/kernels/wasm-kernels.js';
import { fastestKernels } from '../models/kernels/fastest-kernels.js';
import type { Kernels } from '../models/kernels/kernels.js';
import { StackedModel, type ModelConfig } from '../models/stacked-model.js';
import { initialiseWeights } from '../training/init.js';
import type { LossName } from '../training/losses.js';
import { Adam } from '../training/optimisers.js';
import { SequenceRunner } from '../training/sequence.js';
import { evaluateLoss, TbpttTrainer, type SequenceBatch } from '../training/tbptt.js';
import { warmStates } from './rewarm.js';

// One retraining run, pure and synchronous (the worker runs it; tests may call it inline).
// The most recent `validationSteps` of every window are held out in time order: training sees
// only the steps before them (and no target reaching into them), validation runs each window
// from the zero state through its training part, scoring only the held-out steps. The champion
// is scored on exactly the same steps, so the comparison is like for like.

export interface TrainSettings {
  /** TBPTT(k1, k2). */
  readonly k1: number;
  readonly k2: number;
  readonly learningRate: number;
  readonly clipNorm: number;
  readonly maxEpochs: number;
  /** Epochs without a validation improvement before stopping. */
  readonly patience: number;
  /** Training loss; 'gaussian-nll' also fits the variance head. */
  readonly loss: LossName;
  /** Loss that decides early stopping and champion/challenger. */
  readonly compareOn: LossName;
  /** Start from the champion's weights (else from a fresh seeded init). */
  readonly warmStart: boolean;
  /** Fraction of each window held out for validation (its most recent steps). */
  readonly validationFraction: number;
  readonly maxTimeMs: number;
}

export interface TrainJobRequest {
  readonly jobId: string;
  readonly config: ModelConfig;
  /** Champion parameters, params() order, flat. */
  readonly champion: Float32Array;
  readonly steps: number;
  readonly batch: number;
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  readonly settings: TrainSettings;
  readonly seed: number;
  /** Rows to re-warm stream states with under the challenger (see rewarm.ts), if wanted. */
  readonly rewarm?: { readonly streams: number; readonly rows: number; readonly inputs: Float32Array; readonly steps: Int32Array };
}

export interface TrainJobResult {
  readonly jobId: string;
  /** Best challenger parameters (by validation loss), params() order, flat. */
  readonly weights: Float32Array;
  readonly epochs: number;
  readonly bestEpoch: number;
  readonly trainLoss: number;
  readonly validationLoss: number;
  readonly championLoss: number;
  readonly trainSteps: number;
  readonly validationSteps: number;
  readonly seconds: number;
  /** streams × stateSize: the rewarm rows run through the challenger from the zero state. */
  readonly rewarmStates?: Float32Array;
}

export function paramCount(model: StackedModel): number {
  return model.params().reduce((n, p) => n + p.data.length, 0);
}

export function flattenParams(model: StackedModel, into: Float32Array = new Float32Array(paramCount(model))): Float32Array {
  let o = 0;
  for (const p of model.params()) {
    into.set(p.data, o);
    o += p.data.length;
  }
  return into;
}

export function loadParams(model: StackedModel, flat: Float32Array): void {
  const n = paramCount(model);
  if (flat.length !== n) throw new RangeError(`weights hold ${flat.length} floats, the model has ${n}`);
  let o = 0;
  for (const p of model.params()) {
    p.data.set(flat.subarray(o, o + p.data.length));
    o += p.data.length;
  }
}

/** kernels: fastestKernels() by default; the worker passes a fresh heap per job (see jobKernels). */
export function runTrainJob(
  req: TrainJobRequest,
  now: () => number = () => performance.now(),
  kernels: Kernels = fastestKernels(),
): TrainJobResult {
  const t0 = now();
  const s = req.settings;
  const { steps: N, batch: B } = req;
  const H = req.config.horizon * req.config.outputSize;
  const V = Math.max(1, Math.min(N - 2, Math.round(N * s.validationFraction)));
  const T = N - V;
  const train: SequenceBatch = { steps: T, batch: B, inputs: req.inputs, targets: maskTrainTargets(req.targets, T, B, H) };
  const valid: SequenceBatch = { steps: N, batch: B, inputs: req.inputs, targets: maskBefore(req.targets, T, B, H) };
  const champion = new StackedModel(req.config, kernels);
  loadParams(champion, req.champion);
  const championLoss = evaluateLoss(champion, valid, s.compareOn);
  const model = new StackedModel(req.config, kernels);
  if (s.warmStart) loadParams(model, req.champion);
  else initialiseWeights(model, req.seed);
  const k1 = Math.min(s.k1, T);
  const trainer = new TbpttTrainer(
    model,
    {
      k1,
      k2: Math.min(s.k2, T),
      loss: s.loss,
      optimiser: new Adam({ learningRate: s.learningRate }),
      clipNorm: s.clipNorm,
      seed: req.seed,
    },
    B,
  );
  let best = flattenParams(model);
  const validRunner = new SequenceRunner(model, N, B);
  let bestLoss = evaluateLoss(model, valid, s.compareOn, validRunner);
  let bestEpoch = 0,
    epochs = 0,
    trainLoss = NaN;
  while (epochs < s.maxEpochs && epochs - bestEpoch <= s.patience && now() - t0 < s.maxTimeMs) {
    trainer.resetState();
    trainLoss = trainer.train(train).meanLoss;
    epochs++;
    const v = evaluateLoss(model, valid, s.compareOn, validRunner);
    if (v < bestLoss) {
      bestLoss = v;
      bestEpoch = epochs;
      flattenParams(model, best);
    }
  }
  if (!Number.isFinite(bestLoss)) best = req.champion.slice();
  let rewarmed: Float32Array | undefined;
  if (req.rewarm !== undefined) {
    loadParams(model, best);
    rewarmed = warmStates(model, req.rewarm.streams, req.rewarm.rows, req.rewarm.inputs, req.rewarm.steps);
  }
  return {
    jobId: req.jobId,
    weights: best,
    epochs,
    bestEpoch,
    trainLoss,
    validationLoss: bestLoss,
    championLoss,
    trainSteps: T,
    validationSteps: V,
    seconds: (now() - t0) / 1000,
    rewarmStates: rewarmed,
  };
}

/**
 * Kernels for one job in a long-lived worker: a WASM kernel heap never frees, so a shared one fills
 * up after some runs; a fresh one per job is dropped with the job. Other kernels are shared.
 */
export function jobKernels(): Kernels {
  const k = fastestKernels();
  return 'freeBytes' in k ? createWasmKernels() : k;
}

/** Training targets: none at or after the split, and none reaching past it. */
function maskTrainTargets(targets: Float32Array, T: number, B: number, H: number): Float32Array {
  const out = targets.slice(0, T * B * H);
  for (let t = Math.max(0, T - H); t < T; t++) {
    for (let b = 0; b < B; b++) for (let h = 1; h <= H; h++) if (t + h >= T) out[(t * B + b) * H + h - 1] = NaN;
  }
  return out;
}

function maskBefore(targets: Float32Array, T: number, B: number, H: number): Float32Array {
  const out = targets.slice();
  out.fill(NaN, 0, T * B * H);
  return out;
}
