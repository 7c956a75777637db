import type { FileSourceConfig } from '../../connectors/file/config.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { Logger } from '../telemetry/logger.js';
import type { TidecastMetrics } from '../telemetry/metrics.js';
import { collectFitData } from './fit-data.js';
import { loadModelFile } from '../engine/model-file.js';
import type { ModelRunner } from '../engine/model-runner.js';
import { offlineFit } from './offline-fit.js';
import { stateEmbeddings } from '../training/state-embeddings.js';

// Weights for a pipeline that has no checkpoint: model.path if set; else a quick offline fit on the
// start of the given files (bounded by training.offline); else the seeded init, whose zero head makes
// it a persistence forecast until it learns.

export type ModelOrigin = 'loaded' | 'offline' | 'initial';

/**
 * onFit: told which steps the offline fit trained on (the first `steps` steps of `streams`), so that
 * the caller can leave them unscored (PipelineEngine.setFitWindow).
 */
export async function prepareModel(
  spec: PipelineSpec,
  runner: ModelRunner,
  files: readonly FileSourceConfig[],
  log: Logger,
  metrics?: TidecastMetrics,
  onFit?: (steps: number, streams: readonly string[]) => void,
): Promise<ModelOrigin> {
  if (spec.model.path !== undefined) {
    await loadModelFile(spec.model.path, spec, runner);
    log.info({ path: spec.model.path, version: runner.version }, 'Model loaded.');
    return 'loaded';
  }
  const o = spec.training.offline;
  if (!o.enabled || files.length === 0) {
    log.info({ version: runner.version }, 'Model starts from its seeded init (a persistence forecast).');
    return 'initial';
  }
  const data = await collectFitData(spec, files, o.steps, o.read_streams);
  const report = offlineFit(spec, runner, data);
  // Cold start: the fitted streams' embeddings, for streams that start later.
  if (spec.model.cold_start_neighbours > 0 && runner.seq2seq === null)
    runner.embeddings = stateEmbeddings(runner.model, data, data.streams);
  onFit?.(o.steps, data.streams);
  metrics?.trainingRuns.labels(spec.name, 'offline').inc();
  metrics?.trainingLoss.labels(spec.name, 'train').set(report.finalLoss);
  metrics?.trainingDuration.labels(spec.name).observe(report.seconds);
  if (report.method === 'esn-ridge-readout')
    log.info(report, 'ESN readout fitted by ridge regression on the start of the data (the reservoir is fixed: no backpropagation).');
  else log.info(report, 'Model fitted offline on the start of the data.');
  if (report.cut === 'max_time_ms') {
    log.warn(
      { max_time_ms: o.max_time_ms, batches: report.batches },
      'The offline fit hit training.offline.max_time_ms before its epochs: the model now depends on timing (raise the cap or lower epochs / max_batches).',
    );
  }
  return 'offline';
}
