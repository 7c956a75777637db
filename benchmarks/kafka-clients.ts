import { performance } from 'node:perf_hooks';
import { createKafkaClient } from '../connectors/kafka/clients/index.js';
import type { KafkaClientKind } from '../connectors/kafka/clients/port.js';
import { KafkaConnection } from '../connectors/kafka/config.js';
import { uniqueTopic } from '../test/helpers/kafka-topics.js';
import { rawProduce } from './kafka-raw-produce.js';

// bench:kafka's per-client figures: the same raw produce, raw consume and end-to-end runs once per client
// library (connection.client), so that the default client is chosen by measurement (docs/kafka.md).

export const BENCH_CLIENTS: readonly KafkaClientKind[] = ['kafkajs', 'platformatic'];

export interface ClientFigures {
  /** Forecast records per second made durable by KafkaProducerSink on this client (idempotent, acks=all). */
  readonly rawProduce: number;
  /** Records per second through the client's group consumer (the port the source uses), counting only. */
  readonly rawConsume: number;
  /** Events per second through the daemon pipeline (source -> engine -> sink + changelog -> commit). */
  readonly endToEnd: number;
  /** The same through the daemon's own PipelineRuntime (the RxJS pipeline); NaN when not run. */
  readonly endToEndDaemon: number;
}

/**
 * Reads `events` records of a prefilled topic with a fresh group through the client's group-consumer port;
 * timed from the group join to the last record. Records per second.
 */
export async function rawConsumeWith(client: KafkaClientKind, brokers: string, topic: string, events: number): Promise<number> {
  const kafka = createKafkaClient(KafkaConnection.parse({ brokers: [brokers], client_id: 'bench-raw-consume', client }));
  const consumer = kafka.groupConsumer({
    groupId: uniqueTopic('bench-raw'),
    sessionTimeoutMs: 30_000,
    heartbeatIntervalMs: 3_000,
    maxBytesPerPartition: 1_048_576,
    maxWaitMs: 100,
  });
  let n = 0;
  let joined = 0;
  consumer.onJoin(() => (joined ||= performance.now()));
  await consumer.connect();
  await consumer.subscribe([topic], true);
  const elapsed = await new Promise<number>((resolve, reject) => {
    consumer.onCrash((err, restarting) => restarting || reject(err));
    consumer
      .run(async ({ batch }) => {
        for (const m of batch.messages) if (m.value !== null) n++;
        if (n >= events) resolve(performance.now() - joined);
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return (events / elapsed) * 1_000;
}

export interface ClientRunOptions {
  readonly brokers: string;
  /** A topic prefilled with `events` input records. */
  readonly topic: string;
  readonly events: number;
  readonly streams: number;
  readonly partitions: number;
  readonly stepMs: number;
  readonly t0: number;
  /** The bench's end-to-end run on the given client. */
  endToEnd(client: KafkaClientKind): Promise<number>;
  /** The end-to-end run through the daemon's PipelineRuntime on the given client; left out when absent. */
  daemonPath?(client: KafkaClientKind): Promise<number>;
  note(msg: string): void;
}

/** Every client's figures, rounded; NaN where a run failed (its error is noted). */
export async function clientFigures(o: ClientRunOptions): Promise<Record<KafkaClientKind, ClientFigures>> {
  const out = {} as Record<KafkaClientKind, ClientFigures>;
  const attempt = async (what: string, f: () => Promise<number>) => {
    try {
      return Math.round(await f());
    } catch (err) {
      o.note(`${what} failed: ${(err as Error).message}`);
      return NaN;
    }
  };
  for (const client of BENCH_CLIENTS) {
    o.note(`client ${client}: raw produce, raw consume, end to end`);
    const produce = await attempt(`${client} raw produce`, () =>
      rawProduce(o.brokers, { events: o.events, streams: o.streams, partitions: o.partitions, stepMs: o.stepMs, t0: o.t0, client }),
    );
    const consume = await attempt(`${client} raw consume`, () => rawConsumeWith(client, o.brokers, o.topic, o.events));
    const e2e = await attempt(`${client} end to end`, () => o.endToEnd(client));
    const daemon = o.daemonPath === undefined ? NaN : await attempt(`${client} daemon path`, () => o.daemonPath!(client));
    out[client] = { rawProduce: produce, rawConsume: consume, endToEnd: e2e, endToEndDaemon: daemon };
  }
  return out;
}
