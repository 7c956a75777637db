import { silentLog, type KafkaLog } from './client.js';
import { createKafkaClient } from './clients/index.js';
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
import { AckCuts } from './ack-cuts.js';
import type { BatchOutputs, IngestBatch, OutputSink, RuntimeSource } from '../../src/core/ports.js';
import { noStages, type StageObserver } from './stage-latency.js';
import { toAsyncGroups } from './async-groups.js';

// The Kafka source and sink behind the runtime's ports. Raw records are parsed with the pipeline's
// input mapping. With a changelog (the default), each batch goes: skip records its streams' states
// already hold -> engine -> outputs durable (the runtime's flush) -> at the next cut (ack-cuts.ts, every
// STATE_CUT_MS) the stepped streams' states durable in the changelog -> ack (the offsets become
// committable). The runtime steps the next batches meanwhile (inFlight). A partition assignment restores the
// partition's streams from the changelog before its first batch; a revocation drops them; batches of a
// revoked partition that arrive late are dropped without outputs. Positions are Kafka's committed
// offsets, not the checkpoint's.

/** Groups of source batches the runtime may step before the earlier ones' outputs are durable. */
export const PIPELINED_GROUPS = 4;

/** Least time between two changelog writes of the stepped streams' states (and so between acks). */
export const STATE_CUT_MS = 200;

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
  const client = createKafkaClient(cfg.connection, log);
  const changelogCfg =
    ctx.streams === undefined ? undefined : sourceChangelog('changelog' in cfg ? cfg.changelog : undefined, cfg.group_id);
  let changelog: KafkaChangelog | undefined;
  let states: KafkaStreamStates | undefined;
  let hooks: PartitionHooks | undefined;
  if (ctx.streams !== undefined && changelogCfg !== undefined) {
    const c = (changelog = new KafkaChangelog(client, changelogCfg, log));
    const st = (states = new KafkaStreamStates(ctx.streams, c, log ?? silentLog));
    hooks = changelogHooks(c, st, { onRestored: (partitions) => st.restored(partitions) });
  }
  const source = new KafkaSource(cfg, { client, log, hooks, stages: ctx.stages });
  let cuts: AckCuts | undefined;
  const parser = new RecordParser(ctx.data);
  return {
    kind: 'kafka',
    name,
    // A cut waits for the outputs of every group stepped before it, and an undo covers every unacked
    // group: later groups may be stepped while earlier ones are written and acknowledged.
    inFlight: PIPELINED_GROUPS,
    batches: (signal) =>
      batches(source, signal, parser, changelog, states, cfg.topics[0], ctx.stages ?? noStages, log ?? silentLog, (c) => (cuts = c)),
    healthcheck: () => source.healthcheck(),
    close: async () => {
      await cuts?.drain(5_000);
      await source.close();
      await changelog?.close();
    },
  };
}

async function* batches(
  source: KafkaSource,
  signal: AbortSignal,
  parser: RecordParser,
  changelog: KafkaChangelog | undefined,
  states: KafkaStreamStates | undefined,
  inputTopic: string,
  stages: StageObserver,
  log: KafkaLog,
  onCuts: (cuts: AckCuts | undefined) => void,
): AsyncGenerator<IngestBatch> {
  await changelog?.ensureTopic(inputTopic);
  // Acks go through cuts (ack-cuts.ts): one changelog write per stream per interval, off the runtime's path.
  const cuts =
    states === undefined
      ? undefined
      : new AckCuts({
          states,
          intervalMs: STATE_CUT_MS,
          stages,
          signal,
          onError: (err) =>
            log.error({ err: (err as Error).message }, 'Undo of unacked Kafka batches failed; their streams are not restored.'),
          onUndo: (err) =>
            log.warn({ err: (err as Error).message }, 'Changelog write failed; the unacked batches are undone and redelivered.'),
        });
  onCuts(cuts);
  // The batches that queued while the runtime was busy go through as one: one engine call and one output
  // write for all of them, so a busy instance's batches grow with its backlog instead of its backlog
  // growing with small batches. Up to max_batch_records in all: a test with tiny batches keeps them apart.
  const max = source.config.max_batch_records;
  for await (const group of toAsyncGroups(source.start(signal), signal, (b) => b.records.length, max)) {
    // While an undo puts streams back from the changelog, nothing is stepped (its streams could be half
    // restored); batches of the undone partitions that come meanwhile are stale already.
    const undoing = cuts?.undoing();
    if (undoing !== undefined) await undoing;
    // Batches of partitions revoked or rewound meanwhile: their records come again, to the partition's owner.
    const live = group.filter((b) => !b.stale());
    if (live.length === 0) continue;
    const now = Date.now();
    for (const b of live) if (b.handedOutAt !== undefined) stages.observe('queue', now - b.handedOutAt);
    const observations: Observation[] = [];
    const deadLetters: DeadLetter[] = [];
    // Per source batch: admit() skips what each stream's state holds as of that batch (see stream-states.ts).
    const touched: Set<string>[] = [];
    for (const b of live) {
      const out = parsed(b, parser);
      for (const d of out.deadLetters) deadLetters.push(d);
      if (states === undefined) {
        for (const o of out.observations) observations.push(o);
        continue;
      }
      const t = new Set<string>();
      for (const o of states.admit(out.observations, t)) observations.push(o);
      touched.push(t);
    }
    if (cuts === undefined) {
      yield {
        observations,
        deadLetters,
        ack: () => {
          for (const b of live) b.ack('done');
        },
      };
      continue;
    }
    // Registered before it is stepped (the runtime steps it as it is handed out): the next cut waits for it.
    const entry = cuts.add({ batches: live, touched });
    yield {
      observations,
      deadLetters,
      stale: () => {
        if (!live.every((b) => b.stale())) return false;
        cuts.dropped(entry);
        return true;
      },
      ack: () => cuts.durable(entry),
      retry: () => cuts.retry(entry),
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
