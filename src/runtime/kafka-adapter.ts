import type { Observable, Subscription } from 'rxjs';
import type { KafkaSinkConfig, KafkaSourceConfig } from '../../connectors/kafka/config.js';
import { KafkaSink } from '../../connectors/kafka/sink.js';
import { KafkaSource } from '../../connectors/kafka/source.js';
import type { SourceBatch } from '../../connectors/kafka/types.js';
import type { DeadLetter, Observation } from '../core/types.js';
import { RecordParser } from '../operators/parse.js';
import type { PipelineDataOptions } from '../operators/options.js';
import type { BatchOutputs, IngestBatch, OutputSink, RuntimeSource } from './ports.js';

// The Kafka source and sink behind the runtime's ports. Raw records are parsed with the pipeline's
// input mapping; a batch is acked (its offsets become committable) once its outputs are flushed.
// Positions are Kafka's own committed offsets, not the checkpoint's.

export function kafkaRuntimeSource(cfg: KafkaSourceConfig, name: string, data: PipelineDataOptions): RuntimeSource {
  const source = new KafkaSource(cfg);
  const parser = new RecordParser(data);
  return {
    kind: 'kafka',
    name,
    batches: (signal) => parsed(toAsyncIterable(source.start(signal), signal), parser),
    healthcheck: () => source.healthcheck(),
    close: () => source.close(),
  };
}

async function* parsed(batches: AsyncIterable<SourceBatch>, parser: RecordParser): AsyncGenerator<IngestBatch> {
  for await (const b of batches) {
    const observations: Observation[] = [];
    const deadLetters: DeadLetter[] = [];
    const sink = { observation: (o: Observation) => observations.push(o), deadLetter: (d: DeadLetter) => deadLetters.push(d) };
    for (const raw of b.records) parser.parse(raw, sink);
    yield { observations, deadLetters, ack: () => b.ack('done') };
  }
}

/** Pulls an Observable as an async iterable; the source's own in-flight limit bounds the buffer. */
export async function* toAsyncIterable<T>(obs: Observable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const buffer: T[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const sub: Subscription = obs.subscribe({
    next: (v) => { buffer.push(v); notify(); },
    error: (e: unknown) => { failure = e; done = true; notify(); },
    complete: () => { done = true; notify(); },
  });
  const onAbort = () => { done = true; notify(); };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (buffer.length > 0) { yield buffer.shift() as T; continue; }
      if (failure !== undefined) throw failure;
      if (done) return;
      await new Promise<void>((res) => (wake = res));
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    sub.unsubscribe();
  }
}

export function kafkaOutputSink(cfg: KafkaSinkConfig, pipeline: string): OutputSink {
  const sink = new KafkaSink(cfg, { pipeline });
  let pending: BatchOutputs[] = [];
  return {
    kind: 'kafka',
    write: async (out) => {
      pending.push(out);
    },
    flush: async () => {
      const batches = pending;
      pending = [];
      for (const out of batches) {
        await sink.write({
          forecasts: cfg.forecasts_topic ? out.forecasts : undefined,
          alerts: cfg.alerts_topic ? out.alerts.map((a) => ({ ...a, key: a.stream })) : undefined,
          deadLetters: cfg.dead_letter_topic ? out.deadLetters : undefined,
        });
      }
    },
    close: () => sink.close(),
  };
}
