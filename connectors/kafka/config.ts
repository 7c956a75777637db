import { z } from 'zod';

// Pipeline-file schemas for the Kafka source, sinks and state changelog. The daemon's pipeline schema embeds these.

const topic = z
  .string()
  .min(1)
  .max(249)
  .regex(/^[a-zA-Z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only');

export const KafkaTls = z
  .object({
    ca_file: z.string().optional().describe('PEM file of the certificate authority to trust; the system store when absent.'),
    cert_file: z.string().optional().describe('PEM client certificate for mutual TLS.'),
    key_file: z.string().optional().describe('PEM private key of the client certificate.'),
    server_name: z.string().optional().describe('Server name to verify (SNI) when it differs from the broker host.'),
    reject_unauthorized: z.boolean().default(true).describe('Refuse brokers whose certificate does not verify.'),
  })
  .strict();

export const KafkaSasl = z.discriminatedUnion('mechanism', [
  z
    .object({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism.'),
      username: z.string().min(1).describe('SASL user.'),
      password: z.string().describe('SASL password.'),
    })
    .strict(),
  z
    .object({
      mechanism: z.literal('aws').describe('AWS IAM (MSK).'),
      authorization_identity: z.string().describe('The IAM user id.'),
      access_key_id: z.string(),
      secret_access_key: z.string(),
      session_token: z.string().optional(),
    })
    .strict(),
]);

export const KafkaRetry = z
  .object({
    retries: z.number().int().nonnegative().max(100).default(8).describe('Attempts after the first before an error is raised.'),
    initial_retry_ms: z.number().int().positive().default(100).describe('Delay before the first retry; doubles each time, with jitter.'),
    max_retry_ms: z.number().int().positive().default(10_000).describe('Cap on one delay between retries.'),
  })
  .strict();

/**
 * The client library when `connection.client` is not set: the faster one by `npm run bench:kafka` (its
 * `clients` figures, 2026-12-02, shared 2-core box at load 9-20: end to end platformatic ahead in 4 of 5 runs,
 * e.g. 28.1k vs 15.2k events/s, and through the daemon's runtime in 3 of 3, 15.9k vs 15.1k .. 14.3k vs 9.6k).
 * SASL `aws` falls back to kafkajs (createKafkaClient).
 */
export const DEFAULT_KAFKA_CLIENT: 'kafkajs' | 'platformatic' = 'platformatic';

/** How to reach the cluster: shared by the source, the sinks and the changelog. */
export const KafkaConnection = z
  .object({
    brokers: z
      .array(z.string().regex(/^[^\s:]+:\d+$/, 'host:port'))
      .min(1)
      .describe('Bootstrap brokers, host:port.'),
    client: z
      .enum(['kafkajs', 'platformatic'])
      .default(DEFAULT_KAFKA_CLIENT)
      .describe('Client library: kafkajs or @platformatic/kafka (pure TypeScript); the default is the faster one in bench:kafka.'),
    client_id: z.string().min(1).default('tidecast').describe('Client id the brokers see in logs and quotas.'),
    tls: z.union([z.boolean(), KafkaTls]).default(false).describe('true for TLS with defaults, or TLS options.'),
    sasl: KafkaSasl.optional().describe('SASL authentication; usually together with tls.'),
    connection_timeout_ms: z.number().int().positive().default(3_000).describe('TCP + TLS connect timeout.'),
    request_timeout_ms: z.number().int().positive().default(30_000).describe('Timeout of one broker request.'),
    retry: KafkaRetry.default({ retries: 8, initial_retry_ms: 100, max_retry_ms: 10_000 }),
  })
  .strict();

export const KafkaSourceConfig = z
  .object({
    connection: KafkaConnection,
    topics: z.array(topic).min(1).describe('Input topics; co-partitioned when several (the changelog mirrors their partitions).'),
    group_id: z.string().min(1).describe('Consumer group; instances with the same group split the partitions.'),
    format: z.enum(['json', 'line', 'csv']).describe('Payload format; the message key is the stream id.'),
    from_beginning: z.boolean().default(true).describe('Where a group without committed offsets starts.'),
    max_in_flight: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Unacked records per partition before fetching that partition pauses.'),
    max_batch_records: z.number().int().positive().default(1_000).describe('Most records in one batch handed to the pipeline.'),
    commit_interval_ms: z
      .number()
      .int()
      .nonnegative()
      .default(100)
      .describe('Acked offsets are committed at most this often (0: after every ack).'),
    session_timeout_ms: z.number().int().min(6_000).default(30_000).describe('Group session timeout.'),
    heartbeat_interval_ms: z.number().int().positive().default(3_000).describe('Group heartbeat interval.'),
    max_bytes_per_partition: z.number().int().positive().default(1_048_576).describe('Fetch size per partition.'),
    max_wait_ms: z.number().int().nonnegative().default(100).describe('Longest a fetch waits for new data.'),
    fetch_min_bytes: z
      .number()
      .int()
      .positive()
      .default(1)
      .describe(
        'Least bytes a fetch waits for, up to max_wait_ms: above 1, a trickle of records is taken in fewer, larger batches (fewer produce and changelog writes) at up to max_wait_ms more latency.',
      ),
  })
  .strict();

export const KafkaSinkConfig = z
  .object({
    connection: KafkaConnection,
    forecasts_topic: topic.optional().describe('Forecasts, keyed by stream.'),
    alerts_topic: topic.optional().describe('Alerts, keyed by stream.'),
    dead_letter_topic: topic.optional().describe('Records that could not be processed, with the reason and their origin.'),
    compression: z.enum(['none', 'gzip']).default('none').describe('Compression of produced batches.'),
    acks: z
      .union([z.literal(-1), z.literal(1)])
      .default(-1)
      .describe('-1: all in-sync replicas (needed for idempotence).'),
    producer_thread: z
      .boolean()
      .default(false)
      .describe("Encode and produce on a worker thread (a second core): same records and delivery, less work on the pipeline's thread."),
  })
  .strict();

export type KafkaTls = z.infer<typeof KafkaTls>;
export type KafkaSasl = z.infer<typeof KafkaSasl>;
export type KafkaRetry = z.infer<typeof KafkaRetry>;
export type KafkaConnection = z.infer<typeof KafkaConnection>;
export type KafkaSourceConfig = z.infer<typeof KafkaSourceConfig>;
export type KafkaSinkConfig = z.infer<typeof KafkaSinkConfig>;
