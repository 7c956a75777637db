// Public surface of the stream pipeline.
export * from './options.js';
export { resolveOptions, type ResolvedOptions } from './resolved-options.js';
export * from './context.js';
export { featureSchema, type FeatureSchema } from './feature-schema.js';
export { cloneStep, type FeatureStep } from './feature-step.js';
export { StreamProcessor, type EmitFn } from './stream-processor.js';
export type { Interval } from './invert.js';
export { parseEventTime } from './parse-time.js';
export { RecordParser, parse } from './parse.js';
export { orderByEventTime } from './order-by-event-time.js';
export { resample } from './resample.js';
export { impute } from './impute.js';
export { normalise, type NormalisedTick } from './normalise.js';
export { engineerFeatures } from './engineer-features.js';
export { microBatch, packFeatures, type MicroBatchConfig } from './micro-batch.js';
export { streamPipeline } from './stream-pipeline.js';
export { FeatureBatcher, type FeatureBatch } from './feature-batch.js';
export { streamPipelineBatches } from './stream-pipeline-batches.js';
