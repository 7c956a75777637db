import { TidecastError } from '../../src/core/errors.js';
import type { DeadLetter, Forecast } from '../../src/core/types.js';
import { silentLog, type KafkaLog } from './client.js';
import { createKafkaClient, type KafkaClient, type ProducerPort } from './clients/index.js';
import type { KafkaSinkConfig } from './config.js';
import { alertRecord, deadLetterRecord, forecastRecord, type KafkaOutRecord } from './records.js';
import { ThreadedProducerSink } from './producer-thread.js';
import type { SinkConnector } from './types.js';

export interface KafkaSinkContext {
  readonly log?: KafkaLog;
  /** An existing client to share connections with; one is made from the config otherwise. */
  readonly client?: KafkaClient;
  /** Written into dead letters so a shared dead-letter topic says which pipeline rejected what. */
  readonly pipeline?: string;
  /**
   * Produce on a worker thread (ThreadedProducerSink): the encoding runs on another core, same delivery
   * guarantees. Its client is made from the config (`client` is not used for it).
   */
  readonly producerThread?: boolean;
}

/** What KafkaSink writes through: in this thread (KafkaProducerSink) or on a worker (ThreadedProducerSink). */
export interface OutputProducer extends SinkConnector<KafkaOutRecord> {
  /** Records durable so far. */
  readonly sent: number;
  write(batch: readonly KafkaOutRecord[], signal?: AbortSignal): Promise<void>;
  /** Connects ahead of the first write (which otherwise connects); rejects when the brokers cannot be reached. */
  connect(): Promise<void>;
}

/**
 * An idempotent producer (acks from all in-sync replicas, bounded retries with exponential backoff) that
 * resolves a write only when every record of it is durable on the brokers.
 */
export class KafkaProducerSink implements SinkConnector<KafkaOutRecord> {
  readonly kind = 'kafka';
  sent = 0;
  private readonly producer: ProducerPort;
  private connected: Promise<void> | null = null;
  private readonly queue: { batch: readonly OutMessage[]; resolve: () => void; reject: (err: Error) => void }[] = [];
  private sending = false;

  constructor(
    client: KafkaClient,
    private readonly options: Pick<KafkaSinkConfig, 'connection' | 'compression' | 'acks'>,
    private readonly log: KafkaLog = silentLog,
  ) {
    this.producer = client.producer({ idempotent: options.acks === -1 });
  }

  async write(batch: readonly KafkaOutRecord[], signal?: AbortSignal): Promise<void> {
    if (batch.length === 0) return;
    if (signal?.aborted) throw new TidecastError('Kafka write aborted.', 'sink_rejected', true);
    await this.send(batch);
  }

  async connect(): Promise<void> {
    try {
      this.connected ??= this.producer.connect();
      await this.connected;
    } catch (err) {
      this.connected = null;
      throw new TidecastError(`Kafka producer could not connect: ${(err as Error).message}`, 'broker_down', true, { cause: err });
    }
  }

  /**
   * Sends records whose keys and values may already be bytes (the producer thread's path); resolves when
   * every one is durable. Sends that arrive while one is in flight go out together after it, in order (a
   * group commit: one round trip for many small writes); requests are bounded in bytes and in records.
   */
  send(batch: readonly OutMessage[]): Promise<void> {
    if (batch.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    while (this.queue.length > 0) {
      const group = this.queue.splice(0);
      const records = group.length === 1 ? group[0].batch : group.flatMap((g) => g.batch);
      try {
        await this.sendNow(records);
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err as Error);
      }
    }
    this.sending = false;
  }

  private async sendNow(batch: readonly OutMessage[]): Promise<void> {
    try {
      this.connected ??= this.producer.connect();
      await this.connected;
      for (const chunk of chunkByBytes(batch, MAX_REQUEST_BYTES, MAX_REQUEST_RECORDS)) {
        await this.producer.send(chunk, { acks: this.options.acks, compression: this.options.compression });
        this.sent += chunk.length;
      }
    } catch (err) {
      this.connected = null; // reconnect on the next write
      this.log.warn({ err: (err as Error).message, records: batch.length }, 'Kafka write failed after its retries.');
      throw new TidecastError(`Kafka write of ${batch.length} records failed: ${(err as Error).message}`, 'broker_down', true, {
        cause: err,
      });
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}

/** Brokers refuse a record batch over message.max.bytes (1 MiB by default): requests stay under it. */
export const MAX_REQUEST_BYTES = 900_000;

/**
 * kafkajs groups a request's messages by partition in time quadratic in their number per partition
 * (it copies the partition's array for every message): past a thousand or so records per request that
 * costs more than the encoding, so requests are bounded in records too.
 */
export const MAX_REQUEST_RECORDS = 1_024;

/** A record to produce; key, value and header values as strings or as UTF-8 bytes. */
export interface OutMessage {
  readonly topic: string;
  readonly key: string | Buffer | null;
  readonly value: string | Buffer;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  readonly partition?: number;
}

/**
 * Consecutive slices whose keys and values add up to at most `maxBytes` and that hold at most `maxRecords`
 * records (a single larger record alone).
 */
export function* chunkByBytes<T extends { key?: string | Buffer | null; value: string | Buffer | null }>(
  records: readonly T[],
  maxBytes: number,
  maxRecords = Infinity,
): Generator<T[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const size = 64 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
    if (i > start && (bytes + size > maxBytes || i - start >= maxRecords)) {
      yield records.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < records.length) yield start === 0 ? [...records] : records.slice(start);
}

/** The forecasts, alerts and dead-letter topics of one pipeline, over one producer. */
export class KafkaSink {
  readonly producer: OutputProducer;
  private readonly pipeline: string;

  constructor(
    readonly config: KafkaSinkConfig,
    ctx: KafkaSinkContext = {},
  ) {
    const log = ctx.log ?? silentLog;
    this.producer = ctx.producerThread
      ? new ThreadedProducerSink(config, log)
      : new KafkaProducerSink(ctx.client ?? createKafkaClient(config.connection, log), config, log);
    this.pipeline = ctx.pipeline ?? '';
  }

  /** Forecasts, alerts and dead letters of one batch in one durable write. */
  write(
    out: { forecasts?: readonly Forecast[]; alerts?: readonly { id: string; key: string }[]; deadLetters?: readonly DeadLetter[] },
    signal?: AbortSignal,
  ): Promise<void> {
    const records: KafkaOutRecord[] = [];
    const c = this.config;
    let forecasts: { topic: string; list: readonly Forecast[] } | undefined;
    if (out.forecasts !== undefined && out.forecasts.length > 0) {
      forecasts = { topic: this.require(c.forecasts_topic, 'forecasts_topic'), list: out.forecasts };
    }
    if (out.alerts !== undefined && out.alerts.length > 0) {
      const topic = this.require(c.alerts_topic, 'alerts_topic');
      for (const a of out.alerts) records.push(alertRecord(topic, a));
    }
    if (out.deadLetters !== undefined && out.deadLetters.length > 0) {
      const topic = this.require(c.dead_letter_topic, 'dead_letter_topic');
      for (const d of out.deadLetters) records.push(deadLetterRecord(topic, d, this.pipeline));
    }
    // On a producer thread the forecasts are encoded there; here, they are encoded now.
    if (this.producer instanceof ThreadedProducerSink) return this.producer.writeWithForecasts(records, forecasts, signal);
    if (forecasts === undefined) return this.producer.write(records, signal);
    const all = forecasts.list.map((f) => forecastRecord(forecasts.topic, f));
    for (const r of records) all.push(r);
    return this.producer.write(all, signal);
  }

  /** Connects the producer (and starts its thread) ahead of the first write. */
  connect(): Promise<void> {
    return this.producer.connect();
  }

  close(): Promise<void> {
    return this.producer.close();
  }

  private require(topic: string | undefined, field: string): string {
    if (topic === undefined)
      throw new TidecastError(`The Kafka sink has outputs for ${field} but none is configured.`, 'config_invalid', false);
    return topic;
  }
}
