// The slice of a Kafka client the connectors use, so that they run on either kafkajs or @platformatic/kafka
// (`connection.client` in the pipeline file). The shapes follow kafkajs (offsets as decimal strings, buffers
// for keys and values), which the connectors were written against; each adapter translates.

/** A record to produce; key, value and header values as strings or as UTF-8 bytes. */
export interface OutMessage {
  readonly topic: string;
  readonly key: string | Buffer | null;
  /** null: a tombstone (compacted topics). */
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  readonly partition?: number;
}

export interface SendOptions {
  /** -1: all in-sync replicas; 1: the leader. */
  readonly acks: -1 | 1;
  readonly compression?: 'none' | 'gzip';
}

export interface ProducerOptions {
  /** Idempotent producing (sequence numbers per partition, one request in flight). Needs acks -1. */
  readonly idempotent: boolean;
}

export interface ProducerPort {
  connect(): Promise<void>;
  /** Resolves when every message is acknowledged as `acks` asks. Messages of one call may span topics. */
  send(messages: readonly OutMessage[], options: SendOptions): Promise<void>;
  disconnect(): Promise<void>;
}

export interface TopicOffsets {
  readonly partition: number;
  /** First offset still in the log. */
  readonly low: number;
  /** Offset the next record will get. */
  readonly high: number;
}

export interface NewTopic {
  readonly topic: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly configs?: Readonly<Record<string, string>>;
}

/** Short-lived administrative requests; each call connects and disconnects. */
export interface AdminPort {
  partitionCount(topic: string): Promise<number>;
  topicOffsets(topic: string): Promise<TopicOffsets[]>;
  listTopics(): Promise<string[]>;
  /** Creates the topics that do not exist yet and waits for their leaders. */
  createTopics(topics: readonly NewTopic[]): Promise<void>;
}

/** A fetched record as the connectors see it. */
export interface InMessage {
  /** Decimal string, as kafkajs gives it. */
  readonly offset: string;
  /** Producer (or log-append) time, Unix ms as a decimal string, as kafkajs gives it. */
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;
}

/** One fetched run of records of one partition, handed to the batch handler (kafkajs's eachBatch shape). */
export interface BatchPayload {
  readonly batch: {
    readonly topic: string;
    readonly partition: number;
    readonly messages: readonly InMessage[];
    lastOffset(): string;
  };
  /** Records up to this offset are processed (kafkajs moves its fetch position; others may ignore it). */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  /** True once the group rebalanced or the partition was sought after this batch was fetched. */
  isStale(): boolean;
  isRunning(): boolean;
}

export interface GroupConsumerOptions {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxBytesPerPartition: number;
  readonly maxWaitMs: number;
  /** Least bytes a fetch waits for (up to maxWaitMs) before the broker answers it; 1 when absent. */
  readonly minBytes?: number;
}

export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** A consumer-group member with manual commits, per-partition pause/resume and seeks. */
export interface GroupConsumerPort {
  connect(): Promise<void>;
  subscribe(topics: readonly string[], fromBeginning: boolean): Promise<void>;
  /** Starts fetching; batches of one partition are handed over one at a time, in offset order. */
  run(eachBatch: (payload: BatchPayload) => Promise<void>): Promise<void>;
  pause(topic: string, partition: number): void;
  resume(topic: string, partition: number): void;
  /** The next fetch of the partition starts at `offset`. Throws while the consumer is not running. */
  seek(topic: string, partition: number, offset: string): void;
  commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  disconnect(): Promise<void>;
  /** The group starts rebalancing: acks from now on belong to the old generation. */
  onRebalancing(listener: () => void): void;
  /** After every join, with the member's whole assignment. */
  onJoin(listener: (assignment: Record<string, number[]>) => void): void;
  /** The consumer stopped; `restarting`: the client runs it again by itself. */
  onCrash(listener: (error: Error, restarting: boolean) => void): void;
}

/** Reads chosen partitions of a topic outside any consumer group's offsets (restores, the models topic). */
export interface PartitionReaderPort {
  /** Reads from the first record on; `onBatch` sees each partition's records in offset order. */
  run(onBatch: (partition: number, messages: readonly InMessage[]) => void): Promise<void>;
  onCrash(listener: (error: Error, restarting: boolean) => void): void;
  disconnect(): Promise<void>;
}

export type KafkaClientKind = 'kafkajs' | 'platformatic';

/** One cluster connection's factory of producers, consumers and admin requests. */
export interface KafkaClient {
  readonly kind: KafkaClientKind;
  producer(options: ProducerOptions): ProducerPort;
  groupConsumer(options: GroupConsumerOptions): GroupConsumerPort;
  /** A reader of `partitions` of `topic` from their beginning. */
  partitionReader(topic: string, partitions: readonly number[], prefix: string): PartitionReaderPort;
  admin(): AdminPort;
}
