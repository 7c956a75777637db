import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { EngineListener } from '../engine/engine-listener.js';
import { PipelineEngine } from '../engine/pipeline-engine.js';
import type { ComponentMetrics } from '../operators/context.js';
import { OutputBuffer } from './output-buffer.js';

// An engine for a composed pipeline: its forecasts, alerts and dead letters gather in `outputs`,
// which forecast(engine, outputs) hands to each batch. `also` hears everything as well (step rows,
// actuals, online-head rows: what an API store or a replay writer reads).

export interface ComposedEngine {
  readonly engine: PipelineEngine;
  readonly outputs: OutputBuffer;
}

export function createEngine(spec: PipelineSpec, also?: EngineListener, metrics?: ComponentMetrics): ComposedEngine {
  const outputs = new OutputBuffer();
  return { engine: new PipelineEngine(spec, outputs.listener(also), metrics), outputs };
}
