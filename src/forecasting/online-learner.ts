import type { StackedModel } from '../models/stacked-model.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';

// The online-learning hook. After every batch the runtime hands the engine to the learner; a learner
// (background retraining, to come) may return a candidate that won on recent held-out data, and the
// runtime swaps it in between batches: one assignment, stream states stay put. Swaps change
// forecasts from then on, and the checkpoint carries the swapped weights, so restarts stay exact.

export interface ModelCandidate {
  readonly model: StackedModel;
  readonly version: string;
  readonly validationLoss?: number;
  /** Already live (the learner swapped it between two model calls): the runtime only reports it. */
  readonly applied?: boolean;
}

export interface OnlineLearner {
  /** Called after each processed batch; returns a model to swap in, or undefined. */
  afterBatch(engine: PipelineEngine): ModelCandidate | undefined;
  /** State for the checkpoint, taken between two batches with the engine's (JSON-serialisable). */
  snapshot?(): unknown;
  close?(): Promise<void>;
}
