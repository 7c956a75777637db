import * as tf from '@tensorflow/tfjs';
import { fastestKernels } from '../src/models/kernels/fastest-kernels.js';
import type { Kernels } from '../src/models/kernels/kernels.js';
import { StackedModel } from '../src/models/stacked-model.js';
import { initialiseWeights } from '../src/training/init.js';
import { Adam } from '../src/training/optimisers.js';
import { TbpttTrainer } from '../src/training/tbptt.js';
import type { StepFn } from './step-peers.js';

// Training throughput: one update per call on a TBPTT window of T steps for B streams (MSE, Adam),
// counted as window-steps (T·B per call). Tidecast runs the model-core trainer on the given
// kernels (by default the fastest here: native AVX-512, else WASM, else portable; all give the same
// bits); tfjs runs trainOnBatch on the equivalent Sequential model.

export interface TrainWorkload {
  readonly kind: 'lstm' | 'gru';
  readonly inputSize: number;
  readonly units: number;
  readonly layers: number;
  readonly T: number;
  readonly B: number;
}

function data(w: TrainWorkload): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(w.T * w.B * w.inputSize);
  const y = new Float32Array(w.T * w.B);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37);
  for (let i = 0; i < y.length; i++) y[i] = Math.cos(i * 0.11);
  return { x, y };
}

/**
 * FLOPs of one window-step: the forward's multiply-adds (2 FLOPs each: input and recurrent
 * matmuls, head) times 3, for the backward's two products per forward product (dW and dX/dh).
 * Pointwise gate math is not counted.
 */
export function trainFlopsPerWindowStep(w: TrainWorkload): number {
  const gates = w.kind === 'lstm' ? 4 : 3;
  let forward = 0;
  for (let l = 0; l < w.layers; l++) forward += 2 * ((l === 0 ? w.inputSize : w.units) + w.units) * gates * w.units;
  forward += 2 * w.units * 2; // head: mean and log-variance of one output
  return 3 * forward;
}

export function tidecastTrainer(w: TrainWorkload, kernels: Kernels = fastestKernels()): StepFn {
  const model = new StackedModel(
    {
      kind: w.kind,
      inputSize: w.inputSize,
      units: w.units,
      layers: w.layers,
      horizon: 1,
      outputSize: 1,
      seed: 1,
    },
    kernels,
  );
  initialiseWeights(model);
  const trainer = new TbpttTrainer(model, { k1: w.T, k2: w.T, loss: 'mse', optimiser: new Adam() }, w.B);
  const { x, y } = data(w);
  const batch = { steps: w.T, batch: w.B, inputs: x, targets: y };
  return () => {
    trainer.train(batch);
  };
}

export function tfjsTrainer(w: TrainWorkload): { step: StepFn; dispose(): void } {
  const model = tf.sequential();
  for (let l = 0; l < w.layers; l++) {
    const args = {
      units: w.units,
      returnSequences: true,
      recurrentActivation: 'sigmoid' as const,
      recurrentInitializer: 'glorotUniform' as const,
      ...(l === 0 ? { inputShape: [w.T, w.inputSize] } : {}),
    };
    model.add(w.kind === 'lstm' ? tf.layers.lstm(args) : tf.layers.gru(args));
  }
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: tf.train.adam(), loss: 'meanSquaredError' });
  const { x, y } = data(w);
  // tfjs wants batch-major [B, T, ·]; the data is synthetic, so the layout only needs the right shape.
  const xt = tf.tensor3d(x, [w.B, w.T, w.inputSize]);
  const yt = tf.tensor3d(y, [w.B, w.T, 1]);
  return {
    step: async () => {
      await model.trainOnBatch(xt, yt);
    },
    dispose: () => {
      xt.dispose();
      yt.dispose();
      model.dispose();
    },
  };
}
