import { join } from 'node:path';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { PipelineRuntime } from '../runtime/pipeline-runtime.js';
import type { Logger } from '../telemetry/logger.js';
import type { TidecastMetrics } from '../telemetry/metrics.js';
import { engineTap } from './engine-tap.js';
import { ModelRegistry } from './model-registry.js';
import { Retrainer, type RetrainerOptions, type RetrainerSnapshot, type RetrainSettings } from './retrainer.js';
import { WorkerTrainer } from './worker-trainer.js';

// Wires background retraining into a pipeline runtime: registry under the state dir, one training
// worker, the engine's step tap and the runtime's online-learning hook.

/** Where a pipeline's model registry lives. */
export function registryDir(spec: PipelineSpec): string {
  return join(spec.state.dir, 'models', spec.name);
}

/**
 * Deterministic mode checks its schedule after every this-many live steps: the engine's model calls
 * (batching.max_batch, 256 by default) are cut there, so finer checks would cost batching.
 */
const CHECK_STEPS = 256;

export function retrainSettingsFrom(spec: PipelineSpec, overrides: Partial<RetrainSettings> = {}): RetrainSettings {
  const online = spec.training.online;
  const offline = spec.training.offline;
  const deterministic = online.deterministic ?? online.every_ms === 0;
  return {
    bufferSteps: online.window_steps,
    bufferStreams: 1024,
    windowSteps: online.window_steps,
    windowStreams: offline.max_streams,
    minSteps: Math.min(64, online.window_steps),
    train: {
      k1: online.tbptt_k1_steps ?? offline.tbptt_steps,
      k2: online.tbptt_k2_steps ?? offline.tbptt_steps,
      learningRate: online.learning_rate ?? offline.learning_rate,
      clipNorm: online.clip_norm,
      maxEpochs: online.max_epochs ?? offline.epochs,
      patience: online.patience_epochs,
      loss: 'gaussian-nll',
      compareOn: 'mse',
      warmStart: online.warm_start,
      validationFraction: 0.2,
      maxTimeMs: online.max_time_ms ?? offline.max_time_ms,
    },
    schedule: {
      everyMs: deterministic ? 0 : online.every_ms,
      everySteps: online.every_steps,
      driftFactor: online.drift_factor,
      baselineSteps: online.drift_window_steps,
      errorAlpha: 0.02,
    },
    margin: online.promotion_margin,
    rewarmSteps: online.rewarm_steps,
    deterministic,
    applyAfterSteps: online.apply_after_steps ?? online.every_steps,
    checkSteps: Math.min(CHECK_STEPS, online.every_steps, online.drift_window_steps),
    ...overrides,
  };
}

export type AttachExtra = Partial<Pick<RetrainerOptions, 'publish' | 'settings'>> & {
  /** Registry directory (default: registryDir(spec); replay uses a fresh temporary one). */
  readonly registryDir?: string;
};

export async function attachRetraining(
  runtime: PipelineRuntime,
  log: Logger,
  metrics?: TidecastMetrics,
  extra: AttachExtra = {},
): Promise<Retrainer> {
  const runner = runtime.engine.runner;
  const checkpointed = { model: runner.model, version: runner.version };
  const retrainer = await attachToEngine(runtime.engine, log, metrics, extra);
  const saved = runtime.restoredRetraining as RetrainerSnapshot | undefined;
  if (saved !== undefined && retrainer.o.settings.deterministic) {
    try {
      retrainer.restore(saved);
      // The checkpoint's weights are the ones the event clock continues from (a version registered
      // after the checkpoint by the stopped run is registered again at its step).
      if (runner.version !== checkpointed.version) runner.swap(checkpointed.model, checkpointed.version);
      log.info(
        { step: saved.steps, live: runner.version, runInProgress: saved.job !== undefined },
        'Retraining continues from the checkpoint.',
      );
    } catch (err) {
      log.warn({ err }, "The checkpoint's retraining state does not fit this pipeline; retraining starts afresh.");
    }
  }
  runtime.setLearner(retrainer);
  return retrainer;
}

/** The engine part of attachRetraining: registry, worker, step tap (its own loop calls afterBatch, if anything). */
export async function attachToEngine(
  engine: PipelineEngine,
  log: Logger,
  metrics?: TidecastMetrics,
  extra: AttachExtra = {},
): Promise<Retrainer> {
  const spec = engine.spec;
  const runner = engine.runner;
  if (spec.training.online.deterministic === true && spec.training.online.every_ms > 0) {
    log.warn(
      { every_ms: spec.training.online.every_ms },
      'training.online.deterministic is true: every_ms (a wall-clock trigger) is ignored.',
    );
  }
  const registry = await ModelRegistry.open(extra.registryDir ?? registryDir(spec), spec.name, runner.model.config);
  const retrainer = await Retrainer.create({
    pipeline: spec.name,
    live: runner,
    registry,
    trainer: new WorkerTrainer(),
    log,
    metrics,
    settings: extra.settings ?? retrainSettingsFrom(spec),
    publish: extra.publish,
  });
  engine.stepTap = engineTap(retrainer, runner.inputSize);
  return retrainer;
}
