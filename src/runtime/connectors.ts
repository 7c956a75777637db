import type { SinkConfig, SourceConfig } from '../../connectors/registry.js';
import { FileSink } from '../../connectors/file/file-sink.js';
import { FileSource } from '../../connectors/file/file-source.js';
import { influxOutputSink, influxRuntimeSource } from '../../connectors/influxdb/runtime.js';
import { webhookOutputSink } from '../../connectors/webhook/runtime.js';
import type { PipelineDataOptions } from '../operators/options.js';
import { componentLogger, type Logger } from '../telemetry/logger.js';
import { PATHLESS_FILE_SOURCE } from '../config/file-sources.js';
import { kafkaOutputSink, kafkaRuntimeSource } from '../../connectors/kafka/adapter.js';
import type { StreamStateStore } from '../../connectors/kafka/stream-states.js';
import type { BatchOutputs, IngestBatch, OutputSink, RuntimeSource } from '../core/ports.js';
import type { TidecastMetrics } from '../telemetry/metrics.js';
import { stageHistogram } from '../../connectors/kafka/stage-latency.js';

// Builds the runtime's sources and sinks from their pipeline-file configs.

export interface ConnectorContext {
  readonly pipeline: string;
  readonly log: Logger;
  /** false for replay/train: read as fast as possible. */
  readonly paced: boolean;
  /** The pipeline's data options (parsing of raw records). */
  readonly data: PipelineDataOptions;
  /** The engine's per-stream state (Kafka sources keep it in their changelog); absent: no changelog. */
  readonly streams?: StreamStateStore;
  /** Where the Kafka connectors time their stages (tidecast_kafka_stage_seconds). */
  readonly metrics?: TidecastMetrics;
}

export function sourceName(cfg: SourceConfig, index: number): string {
  return cfg.name ?? `${cfg.kind}-${index}`;
}

export function createSource(cfg: SourceConfig, index: number, ctx: ConnectorContext): RuntimeSource {
  const name = sourceName(cfg, index);
  switch (cfg.kind) {
    case 'file': {
      const path = cfg.path;
      if (path === undefined) throw new Error(`source "${name}": ${PATHLESS_FILE_SOURCE}`);
      const src = new FileSource({ ...cfg, path }, { name, paced: ctx.paced });
      return {
        kind: 'file',
        name,
        batches: (signal, from): AsyncIterable<IngestBatch> => src.batches(signal, from ?? 0),
        healthcheck: () => src.healthcheck(),
        close: async () => undefined,
      };
    }
    case 'kafka':
      return kafkaRuntimeSource(cfg, name, {
        data: ctx.data,
        log: componentLogger(ctx.log, 'source', { connector: name }),
        streams: ctx.streams,
        stages: kafkaStages(ctx),
      });
    case 'influxdb':
      return influxRuntimeSource(cfg, { name, paced: ctx.paced, warn: (err, message) => ctx.log.warn({ err, source: name }, message) });
  }
}

export function createSink(cfg: SinkConfig, index: number, ctx: ConnectorContext): OutputSink {
  switch (cfg.kind) {
    case 'file': {
      const sink = new FileSink(cfg);
      return {
        kind: 'file',
        write: async (out: BatchOutputs) => {
          for (const f of out.forecasts) sink.write('forecasts', forecastJson(f));
          for (const a of out.alerts) sink.write('alerts', a);
          for (const d of out.deadLetters) sink.write('dead_letters', { pipeline: ctx.pipeline, ...d });
        },
        flush: (durable) => sink.flush(durable),
        close: () => sink.close(),
      };
    }
    case 'kafka':
      return kafkaOutputSink(cfg, ctx.pipeline, kafkaStages(ctx));
    case 'influxdb':
      return influxOutputSink(cfg, { pipeline: ctx.pipeline, warn: (err, message) => ctx.log.warn({ err, sink: index }, message) });
    case 'webhook': {
      const { kind: _kind, ...options } = cfg;
      return webhookOutputSink(options, { warn: (err, message) => ctx.log.warn({ err, sink: index }, message) });
    }
  }
}

function kafkaStages(ctx: ConnectorContext) {
  return ctx.metrics === undefined ? undefined : stageHistogram(ctx.metrics.kafkaStage, ctx.pipeline);
}

/** The forecast as written to files and the API: ISO time beside epoch ms. */
export function forecastJson(f: BatchOutputs['forecasts'][number]): Record<string, unknown> {
  return {
    pipeline: f.pipeline,
    stream: f.key,
    t: f.t,
    time: new Date(f.t).toISOString(),
    step_ms: f.stepMs,
    model_version: f.modelVersion,
    mean: Array.from(f.mean),
    lower: Array.from(f.lower),
    upper: Array.from(f.upper),
  };
}
