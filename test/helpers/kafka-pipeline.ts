import { concatMap, from, type Subscription } from 'rxjs';
import type { DeadLetter, Forecast, RawRecord } from '../../src/core/types.js';
import type { KafkaLog } from '../../connectors/kafka/client.js';
import { createKafkaClient } from '../../connectors/kafka/clients/index.js';
import type { KafkaClientKind } from '../../connectors/kafka/clients/port.js';
import { KafkaSinkConfig, KafkaSourceConfig, type KafkaConnection } from '../../connectors/kafka/config.js';
import { KafkaSink } from '../../connectors/kafka/sink.js';
import { KafkaSource } from '../../connectors/kafka/source.js';
import type { SourceBatch, TopicPartitions } from '../../connectors/kafka/types.js';
import { KafkaChangelogConfig } from '../../connectors/kafka/changelog/changelog-config.js';
import { KafkaChangelog } from '../../connectors/kafka/changelog/changelog.js';
import { changelogHooks } from '../../connectors/kafka/changelog/changelog-hooks.js';
import { decodeState, encodeState, initialState, isDeadLetter, parseEvent, PIPELINE, step, type StreamState } from './kafka-processor.js';
import { currentKafkaClient } from './kafka-clients.js';
import { testConnection } from './kafka-topics.js';

// Source -> deterministic stateful processor -> sink + changelog -> ack, the way the daemon wires it:
// outputs durable, then states durable, then the ack (acks follow effects). Used in-process by tests and as
// one consumer-group instance in a child process (kafka-instance-main.ts).

export interface TestPipelineOptions {
  readonly brokers: string;
  readonly input: string;
  readonly output: string;
  readonly deadLetters: string;
  readonly changelog: string;
  readonly group: string;
  /** Milliseconds to sleep per batch: slows an instance down so that a test can kill it mid-stream. */
  readonly delayMs?: number;
  readonly maxBatchRecords?: number;
  readonly maxInFlight?: number;
  /** Client retries (more for a test that restarts the broker). */
  readonly retries?: number;
  /** The client library (default: the one the conformance suite runs now); set for child processes. */
  readonly client?: KafkaClientKind;
  /** TLS and SASL for `brokers` (a SASL_SSL listener). */
  readonly secure?: Pick<KafkaConnection, 'tls' | 'sasl'>;
  readonly log?: KafkaLog;
  /** Fails this many batches after they were computed (as a failed sink write would): exercises redelivery. */
  readonly failBatches?: number;
  /** Called after each batch is acked. */
  readonly onBatch?: (processed: number) => void;
  readonly onAssigned?: (assigned: readonly TopicPartitions[], restored: number) => void;
}

export interface TestPipeline {
  readonly source: KafkaSource;
  readonly changelog: KafkaChangelog;
  readonly states: Map<string, StreamState>;
  processed(): number;
  failures(): number;
  stop(): Promise<void>;
}

export async function startTestPipeline(o: TestPipelineOptions): Promise<TestPipeline> {
  const connection = { ...testConnection(o.brokers, o.retries ?? 5, o.client ?? currentKafkaClient()), ...o.secure };
  const kafka = createKafkaClient(connection, o.log);
  const changelog = new KafkaChangelog(kafka, KafkaChangelogConfig.parse({ topic: o.changelog }), o.log);
  await changelog.ensureTopic(o.input);
  const sink = new KafkaSink(KafkaSinkConfig.parse({ connection, forecasts_topic: o.output, dead_letter_topic: o.deadLetters }), {
    client: kafka,
    log: o.log,
    pipeline: PIPELINE,
  });
  const states = new Map<string, StreamState>();
  const hooks = changelogHooks(
    changelog,
    {
      restore: (key, partition, value, inputOffset) => {
        if (value === null) states.delete(key);
        else states.set(key, decodeState(value, partition, inputOffset));
      },
      evict: (gone) => {
        for (const [k, s] of states) if (gone.has(s.partition)) states.delete(k);
      },
    },
    { onRestored: (partitions, n) => o.onAssigned?.([{ topic: o.input, partitions }], n) },
  );
  const source = new KafkaSource(
    KafkaSourceConfig.parse({
      connection,
      topics: [o.input],
      group_id: o.group,
      format: 'json',
      max_batch_records: o.maxBatchRecords ?? 500,
      max_in_flight: o.maxInFlight ?? 5_000,
      session_timeout_ms: 6_000,
      heartbeat_interval_ms: 500,
      commit_interval_ms: 50,
    }),
    { client: kafka, log: o.log, hooks },
  );
  let processed = 0;
  let failures = 0;
  const handle = async (batch: SourceBatch) => {
    if (batch.stale()) return batch.ack('done'); // ignored; the records come again to the partition's owner
    const before = new Map<string, StreamState | undefined>();
    try {
      const { forecasts, deadLetters, touched } = processBatch(batch.records, states, before);
      if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
      if (failures < (o.failBatches ?? 0)) throw new Error('injected failure');
      await sink.write({ forecasts, deadLetters });
      for (const k of touched) {
        const st = states.get(k);
        // Gone when the partition was revoked meanwhile; the changelog fences such writes too.
        if (st !== undefined) changelog.put(k, st.partition, encodeState(st), st.lastOffset);
      }
      await changelog.flush();
      batch.ack('done');
      processed += batch.records.length;
      o.onBatch?.(processed);
    } catch (err) {
      // The batch comes again: its effects on the states must go, or the replay would skip its events.
      for (const [k, prev] of before) {
        if (prev === undefined) states.delete(k);
        else if (states.has(k)) states.set(k, prev); // not if its partition was revoked meanwhile
      }
      failures++;
      o.log?.warn({ err: (err as Error).message }, 'Test pipeline batch failed; asking for redelivery.');
      batch.ack('retry');
    }
  };
  const abort = new AbortController();
  const sub: Subscription = source
    .start(abort.signal)
    .pipe(concatMap((b) => from(handle(b))))
    .subscribe({ error: (err: unknown) => o.log?.error({ err: (err as Error).message }, 'Test pipeline source failed.') });
  return {
    source,
    changelog,
    states,
    processed: () => processed,
    failures: () => failures,
    stop: async () => {
      abort.abort();
      await source.close();
      sub.unsubscribe();
      await Promise.all([sink.close(), changelog.close()]);
    },
  };
}

/** Parses and steps one batch; records at or before a stream's restored offset are already in its state. */
export function processBatch(
  records: readonly RawRecord[],
  states: Map<string, StreamState>,
  before?: Map<string, StreamState | undefined>,
) {
  const forecasts: Forecast[] = [];
  const deadLetters: DeadLetter[] = [];
  const touched = new Set<string>();
  for (const r of records) {
    const e = parseEvent(r);
    if (isDeadLetter(e)) {
      deadLetters.push(e);
      continue;
    }
    const offset = Number(r.origin.offset);
    let s = states.get(e.key);
    if (before !== undefined && !before.has(e.key)) before.set(e.key, s === undefined ? undefined : { ...s });
    if (s === undefined) states.set(e.key, (s = initialState(r.origin.partition)));
    if (offset <= s.lastOffset) continue;
    forecasts.push(step(s, e));
    s.lastOffset = offset;
    s.partition = r.origin.partition;
    touched.add(e.key);
  }
  return { forecasts, deadLetters, touched };
}
