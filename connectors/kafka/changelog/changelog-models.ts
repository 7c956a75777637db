import { silentLog, type KafkaLog } from '../client.js';
import type { KafkaClient, PartitionReaderPort, ProducerPort } from '../clients/port.js';
import { ensureCompactedTopic } from './changelog.js';

export const MODEL_VERSION_HEADER = 'tidecast-model-version';

export interface PublishedModel {
  /** The model's name, e.g. the pipeline's; the topic keeps the newest version per name. */
  readonly name: string;
  readonly version: string;
  /** The serialised model. */
  readonly bytes: Uint8Array;
}

/**
 * Model versions in a compacted, single-partition topic keyed by model name. Every instance tails it from
 * the beginning with a private reader, so each sees every version in publication order and swaps to the last.
 */
export class KafkaModelsTopic {
  private readonly producer: ProducerPort;
  private connected: Promise<void> | null = null;
  private readonly readers: PartitionReaderPort[] = [];

  constructor(
    private readonly kafka: KafkaClient,
    readonly topic: string,
    private readonly log: KafkaLog = silentLog,
  ) {
    this.producer = kafka.producer({ idempotent: true });
  }

  ensureTopic(replicationFactor = 1): Promise<void> {
    return ensureCompactedTopic(this.kafka, this.topic, 1, { replication_factor: replicationFactor, min_compaction_lag_ms: 0 });
  }

  /** Durable when it resolves. */
  async publish(m: PublishedModel): Promise<void> {
    this.connected ??= this.producer.connect();
    await this.connected;
    await this.producer.send(
      [{ topic: this.topic, key: m.name, value: Buffer.from(m.bytes), partition: 0, headers: { [MODEL_VERSION_HEADER]: m.version } }],
      { acks: -1 },
    );
  }

  /**
   * Calls `onModel` for every version on the topic, old ones first, then for each new one as it is published.
   * Resolves once the tail is running; the returned function stops it.
   */
  async watch(onModel: (m: PublishedModel) => void): Promise<() => Promise<void>> {
    const reader = this.kafka.partitionReader(this.topic, [0], 'tidecast-models');
    this.readers.push(reader);
    reader.onCrash((error) => this.log.error({ err: error.message }, 'Models topic reader stopped.'));
    await reader.run((_partition, messages) => {
      for (const message of messages) {
        if (message.key === null || message.value === null) continue;
        const version = message.headers?.[MODEL_VERSION_HEADER]?.toString() ?? `offset-${message.offset}`;
        try {
          onModel({ name: message.key.toString('utf8'), version, bytes: message.value });
        } catch (err) {
          this.log.error({ err: (err as Error).message, version }, 'Model swap failed; keeping the current model.');
        }
      }
    });
    return () => reader.disconnect();
  }

  async close(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.disconnect().catch(() => undefined)));
    await this.producer.disconnect().catch(() => undefined);
  }
}
