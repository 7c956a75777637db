import { createHash } from 'node:crypto';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import { Adam } from '../training/optimisers.js';
import { evaluateLoss, TbpttTrainer } from '../training/tbptt.js';
import type { FitData } from './fit-data.js';
import type { ModelRunner } from './model-runner.js';

// The quick fit a pipeline without a trained model file gets at start (and `tidecast train`):
// TBPTT with a Gaussian negative log-likelihood on the mean and log-variance heads, from the
// seeded init, epoch by epoch until the epochs or the time budget run out. Deterministic for a
// given data window and epoch count; the checkpoint keeps the result, so a restart never refits.

export interface FitReport {
  readonly epochs: number;
  readonly initialLoss: number;
  readonly finalLoss: number;
  readonly seconds: number;
  readonly version: string;
}

export function offlineFit(
  spec: PipelineSpec, runner: ModelRunner, data: FitData,
  onEpoch?: (epoch: number, loss: number) => void, now: () => number = () => performance.now(),
): FitReport {
  const o = spec.training.offline;
  const t0 = now();
  const model = runner.model;
  const initialLoss = evaluateLoss(model, data, 'gaussian-nll');
  const k1 = Math.min(o.tbptt_steps, data.steps);
  const trainer = new TbpttTrainer(model, {
    k1, k2: k1, loss: 'gaussian-nll', optimiser: new Adam({ learningRate: o.learning_rate }), clipNorm: 1, seed: spec.model.seed,
  }, data.batch);
  let epochs = 0;
  let loss = initialLoss;
  while (epochs < o.epochs && now() - t0 < o.max_time_ms) {
    trainer.resetState();
    loss = trainer.train(data).meanLoss;
    epochs++;
    onEpoch?.(epochs, loss);
  }
  const finalLoss = evaluateLoss(model, data, 'gaussian-nll');
  const hash = createHash('sha256');
  for (const p of model.params()) hash.update(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
  runner.version = `${spec.model.cell}-fit-${hash.digest('hex').slice(0, 8)}`;
  return { epochs, initialLoss, finalLoss, seconds: (now() - t0) / 1000, version: runner.version };
}
