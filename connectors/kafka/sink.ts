import { CompressionTypes, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import { TidecastError } from '../../src/core/errors.js';
import type { DeadLetter, Forecast } from '../../src/core/types.js';
import { createKafka, kafkajsRetry, silentLog, type KafkaLog } from './client.js';
import type { KafkaSinkConfig } from './config.js';
import { alertRecord, deadLetterRecord, forecastRecord, type KafkaOutRecord } from './records.js';
import type { SinkConnector } from './types.js';

export interface KafkaSinkContext {
  readonly log?: KafkaLog;
  readonly kafka?: Kafka;
  /** Written into dead letters so a shared dead-letter topic says which pipeline rejected what. */
  readonly pipeline?: string;
}

/**
 * An idempotent producer (acks from all in-sync replicas, bounded retries with exponential backoff) that
 * resolves a write only when every record of it is durable on the brokers.
 */
export class KafkaProducerSink implements SinkConnector<KafkaOutRecord> {
  readonly kind = 'kafka';
  sent = 0;
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly options: Pick<KafkaSinkConfig, 'connection' | 'compression' | 'acks'>,
    private readonly log: KafkaLog = silentLog,
  ) {
    const idempotent = options.acks === -1;
    this.producer = kafka.producer({
      idempotent,
      maxInFlightRequests: idempotent ? 1 : undefined,
      allowAutoTopicCreation: false,
      retry: kafkajsRetry(options.connection.retry),
    });
  }

  async write(batch: readonly KafkaOutRecord[], signal?: AbortSignal): Promise<void> {
    if (batch.length === 0) return;
    if (signal?.aborted) throw new TidecastError('Kafka write aborted.', 'sink_rejected', true);
    try {
      this.connected ??= this.producer.connect();
      await this.connected;
      for (const chunk of chunkByBytes(batch, MAX_REQUEST_BYTES)) {
        await this.producer.sendBatch({
          topicMessages: byTopic(chunk),
          acks: this.options.acks,
          compression: this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        });
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

/** Consecutive slices whose keys and values add up to at most `maxBytes` (a single larger record alone). */
export function* chunkByBytes<T extends { key?: string | Buffer | null; value: string | Buffer | null }>(
  records: readonly T[],
  maxBytes: number,
): Generator<T[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const size = 64 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
    if (i > start && bytes + size > maxBytes) {
      yield records.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < records.length) yield start === 0 ? [...records] : records.slice(start);
}

function byTopic(records: readonly KafkaOutRecord[]): TopicMessages[] {
  const map = new Map<string, Message[]>();
  for (const r of records) {
    let list = map.get(r.topic);
    if (list === undefined) map.set(r.topic, (list = []));
    list.push({ key: r.key, value: r.value, headers: r.headers, partition: r.partition });
  }
  return [...map].map(([topic, messages]) => ({ topic, messages }));
}

/** The forecasts, alerts and dead-letter topics of one pipeline, over one producer. */
export class KafkaSink {
  readonly producer: KafkaProducerSink;
  private readonly pipeline: string;

  constructor(
    readonly config: KafkaSinkConfig,
    ctx: KafkaSinkContext = {},
  ) {
    const log = ctx.log ?? silentLog;
    this.producer = new KafkaProducerSink(ctx.kafka ?? createKafka(config.connection, log), config, log);
    this.pipeline = ctx.pipeline ?? '';
  }

  /** Forecasts, alerts and dead letters of one batch in one durable write. */
  write(
    out: { forecasts?: readonly Forecast[]; alerts?: readonly { id: string; key: string }[]; deadLetters?: readonly DeadLetter[] },
    signal?: AbortSignal,
  ): Promise<void> {
    const records: KafkaOutRecord[] = [];
    const c = this.config;
    if (out.forecasts !== undefined && out.forecasts.length > 0) {
      const topic = this.require(c.forecasts_topic, 'forecasts_topic');
      for (const f of out.forecasts) records.push(forecastRecord(topic, f));
    }
    if (out.alerts !== undefined && out.alerts.length > 0) {
      const topic = this.require(c.alerts_topic, 'alerts_topic');
      for (const a of out.alerts) records.push(alertRecord(topic, a));
    }
    if (out.deadLetters !== undefined && out.deadLetters.length > 0) {
      const topic = this.require(c.dead_letter_topic, 'dead_letter_topic');
      for (const d of out.deadLetters) records.push(deadLetterRecord(topic, d, this.pipeline));
    }
    return this.producer.write(records, signal);
  }

  close(): Promise<void> {
    return this.producer.close();
  }

  private require(topic: string | undefined, field: string): string {
    if (topic === undefined) throw new TidecastError(`The Kafka sink has outputs for ${field} but none is configured.`, 'config_invalid', false);
    return topic;
  }
}
