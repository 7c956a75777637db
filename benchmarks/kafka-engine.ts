import { dataPart, PipelineSpec } from '../src/config/pipeline-schema.js';
import type { DeadLetter, Forecast, Observation, RawRecord } from '../src/core/types.js';
import { RecordParser } from '../src/operators/parse.js';
import { PipelineEngine } from '../src/engine/pipeline-engine.js';

// THE ENGINE HOOK of the Kafka benchmark: what runs between the Kafka source and the Kafka sink.
// 'pipeline' is the daemon's own path: its RecordParser (JSON with a field mapping) -> PipelineEngine
// (StreamProcessor: order, resample, impute, normalise, features -> batched LSTM step -> denormalised
// forecasts -> alerting), with a pipeline spec like the ones in pipelines/ (a Kafka source, a small LSTM).
// 'none' is the connector path alone: the same parser, one output record per observation, no engine.

export interface EngineOutput {
  readonly forecasts: Forecast[];
  readonly deadLetters: DeadLetter[];
  /** Streams whose state changed, with the input partition and the last offset included. */
  readonly touched: Map<string, { partition: number; offset: number }>;
}

export interface BenchEngine {
  readonly name: string;
  step(records: readonly RawRecord[]): EngineOutput;
  /** The stream's state as bytes for the changelog (a copy: later steps do not change it). */
  exportState(key: string): Uint8Array | undefined;
}

/** Input records: {"stream":"s<i>","t":<epoch ms>,"v":<number>}, keyed by the stream. */
export const STREAM_PREFIX = 'bench/';
export const UNITS = 32;

/** The bench's pipeline file, as the daemon would read it (the Kafka source's settings are not used here). */
export function benchSpec(stepMs: number): PipelineSpec {
  return PipelineSpec.parse({
    name: 'bench',
    step_ms: stepMs,
    fields: [{ name: 'value', aggregation: 'mean' }],
    sources: [{ kind: 'kafka', connection: { brokers: ['127.0.0.1:9092'] }, topics: ['bench.in'], group_id: 'bench', format: 'json' }],
    input: { json: { stream_keys: ['stream'], time_key: 't', fields: { v: 'value' } }, stream_prefix: STREAM_PREFIX },
    // Forecast a step as soon as the stream's next step arrives (no reordering delay).
    ordering: { max_delay_ms: 0, allowed_lateness_ms: 0 },
    impute: { method: 'linear', max_gap_steps: 4 },
    normalise: { method: 'ewm_zscore', half_life_steps: 60 },
    model: { cell: 'lstm', layers: 1, units: UNITS, horizon: 1, seed: 7 },
    state: { dir: 'var/bench-kafka' },
  });
}

export function createEngine(kind: 'pipeline' | 'none', stepMs: number): BenchEngine {
  return kind === 'pipeline' ? pipelineEngine(stepMs) : connectorOnly(stepMs);
}

function pipelineEngine(stepMs: number): BenchEngine {
  const spec = benchSpec(stepMs);
  let forecasts: Forecast[] = [];
  let deadLetters: DeadLetter[] = [];
  const engine = new PipelineEngine(spec, {
    forecast: (f) => forecasts.push(f),
    deadLetter: (d) => deadLetters.push(d),
  });
  const parser = new RecordParser(dataPart(spec));
  const observations: Observation[] = [];
  let touched = new Map<string, { partition: number; offset: number }>();
  const sink = {
    observation: (o: Observation) => {
      observations.push(o);
      if (o.origin !== undefined) touched.set(o.key, { partition: o.origin.partition, offset: Number(o.origin.offset) });
    },
    deadLetter: (d: DeadLetter) => engine.deadLetter(d),
  };
  return {
    name: `daemon pipeline (RecordParser + PipelineEngine, LSTM 1×${UNITS})`,
    step(records) {
      for (const r of records) parser.parse(r, sink);
      engine.ingest(observations);
      observations.length = 0;
      const out = { forecasts, deadLetters, touched };
      forecasts = [];
      deadLetters = [];
      touched = new Map();
      return out;
    },
    exportState(key) {
      // What the changelog holds for a stream: its stream-pipeline state and its recurrent state.
      const shape = engine.processor.snapshot(key);
      const state = engine.runner.arena.exportState(key);
      if (shape === undefined || state === undefined) return undefined;
      const bytes = new Uint8Array(shape.byteLength + state.byteLength);
      bytes.set(shape, 0);
      bytes.set(state, shape.byteLength);
      return bytes;
    },
  };
}

function connectorOnly(stepMs: number): BenchEngine {
  const spec = benchSpec(stepMs);
  const parser = new RecordParser(dataPart(spec));
  const last = new Map<string, Float64Array>();
  let forecasts: Forecast[] = [];
  let deadLetters: DeadLetter[] = [];
  let touched = new Map<string, { partition: number; offset: number }>();
  const sink = {
    observation: (o: Observation) => {
      const v = o.fields.value ?? NaN;
      let s = last.get(o.key);
      if (s === undefined) last.set(o.key, (s = new Float64Array(2)));
      s[0] = o.eventTime;
      s[1] = v;
      // A persistence "forecast" in the same record shape as the engine's.
      forecasts.push({
        pipeline: spec.name,
        key: o.key,
        t: o.eventTime,
        stepMs,
        modelVersion: 'none',
        mean: Float64Array.of(v),
        lower: Float64Array.of(v),
        upper: Float64Array.of(v),
      });
      if (o.origin !== undefined) touched.set(o.key, { partition: o.origin.partition, offset: Number(o.origin.offset) });
    },
    deadLetter: (d: DeadLetter) => deadLetters.push(d),
  };
  return {
    name: 'connector path (RecordParser, no engine)',
    step(records) {
      for (const r of records) parser.parse(r, sink);
      const out = { forecasts, deadLetters, touched };
      forecasts = [];
      deadLetters = [];
      touched = new Map();
      return out;
    },
    exportState: (key) => {
      const s = last.get(key);
      return s === undefined ? undefined : new Uint8Array(s.slice().buffer);
    },
  };
}
