// The composition surface: sources as Observables of batches, the engine's stages and the sinks as
// operators over batches, acknowledgement after durable outputs (see README "Embedding").
export { NO_OUTPUTS, pipelineBatch, type PipelineBatch } from './pipeline-batch.js';
export { fromBatches, fromObservations, fromSource, type FromSourceOptions } from './from-source.js';
export { parseRecords } from './parse-records.js';
export { closeSteps, endOfData, features, forecast, idleFlush, intake, type PendingOutputs } from './engine-stages.js';
export { alertOn } from './alert-on.js';
export { deliver, toSink, toSinks, type DeliverOptions } from './to-sinks.js';
export { commit, skipStale, type CommitOptions } from './commit.js';
export { OutputBuffer } from './output-buffer.js';
export { createEngine, type ComposedEngine } from './create-engine.js';
