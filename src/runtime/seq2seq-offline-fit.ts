import { createHash } from 'node:crypto';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { ModelRunner } from '../engine/model-runner.js';
import { gaussianNllLoss } from '../training/losses.js';
import { Seq2SeqRunner } from '../training/seq2seq-runner.js';
import { fitSeq2SeqFeatures } from '../training/seq2seq-trainer.js';
import type { FitData } from './fit-data.js';
import type { FitReport } from './offline-fit.js';

// The offline fit of model.decoder: seq2seq: the encoder-decoder learns, from the same fit window
// and targets as the TBPTT fit (fit-data.ts), to forecast a step's horizon from the W feature vectors
// up to it (scheduled sampling from teacher forcing to free running). Its budget is the TBPTT fit's
// number of windows: max_batches × ⌈steps / tbptt_steps⌉ updates of max_streams windows each
// (counted, so the fit is a function of the data and the settings; max_time_ms is the same safety
// cap as the TBPTT fit's, reported when it cuts). Same report and versioning as
// the other fits, so `tidecast train`, the start-up fit and checkpoints treat it alike.

export function seq2seqOfflineFit(
  spec: PipelineSpec,
  runner: ModelRunner,
  data: FitData,
  now: () => number = () => performance.now(),
): FitReport {
  const stepper = runner.seq2seq;
  if (stepper === null) throw new RangeError('seq2seqOfflineFit needs a runner with model.decoder seq2seq');
  const o = spec.training.offline;
  const t0 = now();
  const model = stepper.model;
  const W = stepper.windowSteps;
  const B = Math.min(o.max_streams, 64);
  const updates = o.max_batches * Math.ceil(data.steps / o.tbptt_steps);
  const initialLoss = meanLoss(stepper.model, data, W);
  const report = fitSeq2SeqFeatures(model, data, {
    window: W,
    updates,
    batch: B,
    learningRate: o.learning_rate,
    clipNorm: 1,
    seed: spec.model.seed,
    stop: () => now() - t0 >= o.max_time_ms,
  });
  const finalLoss = meanLoss(stepper.model, data, W);
  const hash = createHash('sha256');
  for (const p of model.params()) hash.update(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
  runner.version = `seq2seq-${spec.model.cell}-fit-${hash.digest('hex').slice(0, 8)}`;
  return {
    epochs: 0,
    batches: report.updates,
    batchStreams: B,
    streams: data.batch,
    steps: data.steps,
    initialLoss,
    finalLoss,
    seconds: (now() - t0) / 1000,
    version: runner.version,
    method: 'seq2seq',
    ...(report.stopped === true && { cut: 'max_time_ms' as const }),
  };
}

/** Mean Gaussian NLL, free running, over the forecasts of every 8th step of every stream read. */
function meanLoss(model: NonNullable<ModelRunner['seq2seq']>['model'], data: FitData, W: number): number {
  const S = data.batch,
    H = model.config.horizon,
    inSize = model.config.inputSize;
  const runner = new Seq2SeqRunner(model, W, S);
  const x = new Float32Array(W * S * inSize),
    y = new Float32Array(H * S),
    base = new Float32Array(S),
    d = new Float32Array(H * S * 2);
  let sum = 0,
    n = 0;
  for (let t0 = W - 1; t0 < data.steps; t0 += 8) {
    for (let t = 0; t < W; t++) x.set(data.inputs.subarray((t0 - W + 1 + t) * S * inSize, (t0 - W + 2 + t) * S * inSize), t * S * inSize);
    for (let s = 0; s < S; s++) for (let h = 0; h < H; h++) y[h * S + s] = data.targets[(t0 * S + s) * H + h];
    const loss = gaussianNllLoss(runner.forward(W, S, x, 0, base), y, H * S, d);
    if (Number.isFinite(loss)) {
      sum += loss;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}
