import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PipelineSpec } from '../src/config/pipeline-schema.js';
import type { IngestBatch } from '../src/core/ports.js';
import { PipelineRuntime } from '../src/runtime/pipeline-runtime.js';
import { silentLogger } from '../src/telemetry/logger.js';
import type { KafkaClientKind } from '../connectors/kafka/clients/port.js';
import { committedOffsets, createTopic, endOffsets, uniqueTopic } from '../test/helpers/kafka-topics.js';
import { benchSpec } from './kafka-engine.js';

// End to end through the daemon's own path: a PipelineRuntime (the RxJS pipeline of src/pipeline:
// fromSource -> skipStale -> intake -> features -> forecast -> toSinks -> commit) built from a pipeline
// file with a Kafka source (changelog on) and a Kafka sink, against the bench's direct loop
// (kafka-pipelined.ts) on the same topic and engine settings. The run ends when the input's end offsets
// are committed (outputs durable, then the states in the changelog, then the commit).

export interface DaemonPathOptions {
  readonly brokers: string;
  readonly topic: string;
  readonly events: number;
  readonly partitions: number;
  readonly stepMs: number;
  readonly client: KafkaClientKind;
  readonly producerThread: boolean;
  readonly fetch: { readonly fetch_min_bytes?: number; readonly max_wait_ms: number };
}

/** A running daemon path: its forecasts topic, consumer group, and stop(). */
export interface DaemonPath {
  readonly output: string;
  readonly group: string;
  stop(): Promise<void>;
}

/**
 * Starts a PipelineRuntime on the topic; `onAcked` hears each batch's event count once its acknowledgement
 * has finished (the source is wrapped in place, so the runtime pulls it as it pulls the Kafka source: same
 * inFlight).
 */
export async function startDaemonPath(o: DaemonPathOptions, onAcked: (events: number) => void = () => {}): Promise<DaemonPath> {
  const dir = await mkdtemp(join(tmpdir(), 'tidecast-bench-daemon-'));
  const output = uniqueTopic('bench-daemon-forecasts');
  await createTopic(o.brokers, output, o.partitions);
  const base = benchSpec(o.stepMs);
  const connection = { brokers: [o.brokers], client_id: 'bench-daemon', client: o.client };
  const group = uniqueTopic('bench-daemon');
  const spec = PipelineSpec.parse({
    ...base,
    sources: [
      {
        kind: 'kafka',
        connection,
        topics: [o.topic],
        group_id: group,
        format: 'json',
        max_batch_records: 2_000,
        max_in_flight: 5_000,
        ...o.fetch,
      },
    ],
    sinks: [{ kind: 'kafka', connection, forecasts_topic: output, dead_letter_topic: output, producer_thread: o.producerThread }],
    state: { ...base.state, dir },
  });
  const runtime = new PipelineRuntime(spec, { log: silentLogger(), paced: false });
  await runtime.prepareModel();
  const source = runtime.sources[0] as { batches: (typeof runtime.sources)[number]['batches'] };
  const inner = source.batches.bind(source);
  source.batches = async function* (signal, from): AsyncGenerator<IngestBatch> {
    for await (const b of inner(signal, from)) {
      const events = b.observations.length + b.deadLetters.length;
      yield {
        ...b,
        ack: async () => {
          await b.ack?.();
          onAcked(events);
        },
      };
    }
  };
  const running = runtime.start();
  return {
    output,
    group,
    stop: async () => {
      await runtime.stop();
      await running;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Events per second from the first batch acknowledged to the input's end offsets committed: the changelog
 * cuts that follow the outputs are inside the time, so the figure is a rate the path sustains.
 */
export async function daemonEndToEnd(o: DaemonPathOptions): Promise<number> {
  let n = 0;
  let first = 0;
  let last = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const p = await startDaemonPath(o, (events) => {
    // The first batch's events are not counted: its ack marks the start (the group joined, states restored).
    if (first === 0) {
      first = performance.now();
      return;
    }
    n += events;
    last = performance.now();
    if (n >= o.events - 2_000) done();
  });
  await finished;
  const ends = await endOffsets(o.brokers, o.topic);
  // Bounded: a run whose commits never reach the end reports the rate up to the bound (a low figure).
  for (const t0 = performance.now(); performance.now() - t0 < 30_000; ) {
    const done = await committedOffsets(o.brokers, p.group, o.topic);
    if ([...ends].every(([part, end]) => done.get(part) === end)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  last = performance.now();
  await p.stop();
  return (n / (last - first)) * 1_000;
}
