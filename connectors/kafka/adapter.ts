import type { Observable, Subscription } from 'rxjs';
import { createKafka, silentLog, type KafkaLog } from './client.js';
import type { KafkaSinkConfig, KafkaSourceConfig } from './config.js';
import { KafkaSink } from './sink.js';
import { KafkaSource } from './source.js';
import type { PartitionHooks, SourceBatch } from './types.js';
import type { SourceConfig } from '../registry.js';
import type { DeadLetter, Observation } from '../../src/core/types.js';
import { RecordParser } from '../../src/operators/parse.js';
import type { PipelineDataOptions } from '../../src/operators/options.js';
import { KafkaChangelog } from './changelog/changelog.js';
import { sourceChangelog } from './changelog/changelog-config.js';
import { changelogHooks } from './changelog/changelog-hooks.js';
import { KafkaStreamStates, type StreamStateStore } from './stream-states.js';
import type { BatchOutputs, IngestBatch, OutputSink, RuntimeSource } from '../../src/core/ports.js';
import { noStages, type StageObserver } from './stage-latency.js';

// The Kafka source and sink behind the runtime's ports. Raw records are parsed with the pipeline's
// input mapping. With a changelog (the default), each batch goes: skip records its streams' states
// already hold -> engine -> outputs durable (the runtime's flush) -> the touched streams' states durable
// in the changelog -> ack (the offsets become committable). A partition assignment restores the
// partition's streams from the changelog before its first batch; a revocation drops them; batches of a
// revoked partition that arrive late are dropped without outputs. Positions are Kafka's committed
// offsets, not the checkpoint's.

export type KafkaSourceSection = Extract<SourceConfig, { kind: 'kafka' }>;

export interface KafkaSourceContext {
  readonly data: PipelineDataOptions;
  readonly log?: KafkaLog;
  /** The engine's per-stream state; without it (or with changelog: false) nothing goes to a changelog. */
  readonly streams?: StreamStateStore;
  /** Times the source, queue, changelog and commit stages (the sink times its own). */
  readonly stages?: StageObserver;
}

/**
 * Whether a pipeline keeps its streams' state in Kafka changelogs rather than in its checkpoints: every
 * source is Kafka with a changelog. (Mixed pipelines restore the checkpoint's streams, then the changelog's.)
 */
export function statesLiveInKafka(sources: readonly SourceConfig[]): boolean {
  return sources.every((s) => s.kind === 'kafka' && s.changelog !== false);
}

export function kafkaRuntimeSource(cfg: KafkaSourceSection | KafkaSourceConfig, name: string, ctx: KafkaSourceContext): RuntimeSource {
  const log = ctx.log;
  const kafka = createKafka(cfg.connection, log);
  const changelogCfg = ctx.streams === undefined ? undefined : sourceChangelog('changelog' in cfg ? cfg.changelog : undefined, cfg.group_id);
  let changelog: KafkaChangelog | undefined;
  let states: KafkaStreamStates | undefined;
  let hooks: PartitionHooks | undefined;
  if (ctx.streams !== undefined && changelogCfg !== undefined) {
    const c = (changelog = new KafkaChangelog(kafka, changelogCfg, cfg.connection, log));
    const st = (states = new KafkaStreamStates(ctx.streams, c, log ?? silentLog));
    hooks = changelogHooks(c, st, { onRestored: (partitions) => st.restored(partitions) });
  }
  const source = new KafkaSource(cfg, { kafka, log, hooks, stages: ctx.stages });
  const parser = new RecordParser(ctx.data);
  return {
    kind: 'kafka',
    name,
    batches: (signal) => batches(source, signal, parser, changelog, states, cfg.topics[0], ctx.stages ?? noStages),
    healthcheck: () => source.healthcheck(),
    close: async () => {
      await source.close();
      await changelog?.close();
    },
  };
}

async function* batches(
  source: KafkaSource, signal: AbortSignal, parser: RecordParser,
  changelog: KafkaChangelog | undefined, states: KafkaStreamStates | undefined, inputTopic: string, stages: StageObserver,
): AsyncGenerator<IngestBatch> {
  await changelog?.ensureTopic(inputTopic);
  for await (const b of toAsyncIterable(source.start(signal), signal)) {
    // Its partition was revoked or rewound: the records come again, to whoever owns the partition now.
    if (b.stale()) continue;
    if (b.handedOutAt !== undefined) stages.observe('queue', Date.now() - b.handedOutAt);
    const { observations, deadLetters } = parsed(b, parser);
    if (states === undefined) {
      yield { observations, deadLetters, ack: () => b.ack('done') };
      continue;
    }
    const touched = new Set<string>();
    yield {
      observations: states.admit(observations, touched),
      deadLetters,
      stale: () => b.stale(),
      ack: async () => {
        // A fenced write leaves the batch unacked: the group's next generation redelivers it.
        const t0 = performance.now();
        const persisted = await states.persist(touched);
        stages.observe('changelog', performance.now() - t0);
        if (persisted) b.ack('done');
      },
      retry: async () => {
        // A stale batch's streams were dropped with their partition: nothing to undo, nothing to redeliver.
        if (b.stale()) return;
        await states.rollback(touched, signal);
        b.ack('retry');
      },
    };
  }
}

function parsed(b: SourceBatch, parser: RecordParser): { observations: Observation[]; deadLetters: DeadLetter[] } {
  const observations: Observation[] = [];
  const deadLetters: DeadLetter[] = [];
  const sink = { observation: (o: Observation) => observations.push(o), deadLetter: (d: DeadLetter) => deadLetters.push(d) };
  for (const raw of b.records) parser.parse(raw, sink);
  return { observations, deadLetters };
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

export function kafkaOutputSink(cfg: KafkaSinkConfig, pipeline: string, stages: StageObserver = noStages): OutputSink {
  const sink = new KafkaSink(cfg, { pipeline, producerThread: cfg.producer_thread });
  let pending: BatchOutputs[] = [];
  return {
    kind: 'kafka',
    write: async (out) => {
      pending.push(out);
    },
    flush: async () => {
      const batches = pending;
      pending = [];
      const t0 = performance.now();
      for (const out of batches) {
        await sink.write({
          forecasts: cfg.forecasts_topic ? out.forecasts : undefined,
          alerts: cfg.alerts_topic ? out.alerts.map((a) => ({ ...a, key: a.stream })) : undefined,
          deadLetters: cfg.dead_letter_topic ? out.deadLetters : undefined,
        });
      }
      if (batches.length > 0) stages.observe('sink', performance.now() - t0);
    },
    close: () => sink.close(),
  };
}
