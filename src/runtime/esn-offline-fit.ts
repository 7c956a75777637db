import { createHash } from 'node:crypto';
import { ESN_DEFAULTS } from '../config/esn-section.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import { fitEsnReadout } from '../models/esn-readout.js';
import { evaluateLoss } from '../training/tbptt.js';
import type { FitData } from './fit-data.js';
import type { FitReport } from './offline-fit.js';
import type { ModelRunner } from '../engine/model-runner.js';

// The offline fit of an echo state network (model.cell: esn): no epochs, no backpropagation. The
// fixed reservoir runs once over the fit window of every stream read and the readout (the dense
// head) is solved by ridge regression (models/esn-readout.ts). Same data, report and versioning
// as the TBPTT fit, so `tidecast train`, the start-up fit and checkpoints treat it alike.

export function esnOfflineFit(
  spec: PipelineSpec,
  runner: ModelRunner,
  data: FitData,
  now: () => number = () => performance.now(),
): FitReport {
  const t0 = now();
  const esn = spec.model.esn ?? ESN_DEFAULTS;
  const model = runner.model;
  const washout = Math.min(esn.washout_steps, Math.floor(data.steps / 2));
  // Losses over the rows the readout fits (after the washout: the transient from the zero state).
  const perStep = data.targets.length / data.steps;
  const scored = { ...data, targets: data.targets.slice() };
  scored.targets.fill(NaN, 0, washout * perStep);
  const initialLoss = evaluateLoss(model, scored, 'gaussian-nll');
  const fit = fitEsnReadout(model, data, { ridge: esn.ridge, washout });
  const finalLoss = evaluateLoss(model, scored, 'gaussian-nll');
  const hash = createHash('sha256');
  for (const p of model.params()) hash.update(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
  runner.version = `esn-ridge-${hash.digest('hex').slice(0, 8)}`;
  return {
    epochs: 0,
    batches: 0,
    batchStreams: data.batch,
    streams: data.batch,
    steps: data.steps,
    initialLoss,
    finalLoss,
    seconds: (now() - t0) / 1000,
    version: runner.version,
    method: 'esn-ridge-readout',
    readout: { rows: fit.rows, washout, ridge: esn.ridge, trainMse: fit.trainMse, zeroMse: fit.zeroMse },
  };
}
