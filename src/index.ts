// Tidecast as a library (package.json "exports" "."): build the daemon's pipeline in your own
// service. Sources are Observables of batches, every stage is an operator over batches, sinks are
// operators, and commit() acknowledges a batch once its outputs are written. README "Embedding"
// shows it whole; examples/embed.ts runs it.

// Pipeline files
export {
  ConfigError,
  loadPipelineFile,
  loadPipelineFiles,
  parsePipelineText,
  type LoadedFile,
  type LoadResult,
} from './config/load-pipeline.js';
export { dataPart, PipelineSpec } from './config/pipeline-schema.js';
export { fileSources } from './config/file-sources.js';

// Sources and sinks, built from their pipeline-file sections (file, kafka, influxdb, webhook)
export { createSink, createSource, type ConnectorContext } from './runtime/connectors.js';

// The composition surface
export * from './pipeline/index.js';

// The engine and its model
export { PipelineEngine, WARMUP_STEPS, type EngineListener, type EngineSnapshot, type StepRow } from './engine/pipeline-engine.js';
// The alert stage (engine.alerting, what alertOn runs) and the steps it scores (listener scoring/scored)
export type { AlertStage } from './engine/engine-alert-stage.js';
export {
  ForecastSteps,
  STEP_FORECAST,
  STEP_IMPUTED,
  STEP_IN_FIT,
  STEP_ROW,
  STEP_WARM,
} from './engine/engine-forecast-steps.js';
export { prepareModel, type ModelOrigin } from './runtime/prepare-model.js';

// The daemon's one-pipeline runtime (what `tidecast run` starts per pipeline)
export { PipelineRuntime, type PipelineRuntimeOptions, type RuntimeObserver } from './runtime/pipeline-runtime.js';

// Per-event operators of the stream pipeline (parse, order, resample, impute, normalise, features)
export * as operators from './operators/index.js';

// Shared types and ports
export type { AlertEvent } from './core/alert-event.js';
export type { BatchOutputs, IngestBatch, OutputSink, RuntimeSource } from './core/ports.js';
export type { DeadLetter, ErrorCode, Forecast, Observation, RawRecord } from './core/types.js';
export { createLogger, silentLogger, type Logger } from './telemetry/logger.js';
