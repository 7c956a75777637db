import { z } from 'zod';

// Pipeline-file schema of the Kafka state changelog (connection shared with the Kafka source).

const topic = z.string().min(1).max(249).regex(/^[a-zA-Z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only');

export const KafkaChangelogConfig = z
  .object({
    topic: topic.describe('Compacted topic of per-stream state, keyed by stream, partitioned like the input.'),
    models_topic: topic.optional().describe('Compacted topic of model versions, keyed by model name.'),
    replication_factor: z.number().int().positive().default(1).describe('Replication of the topics when Tidecast creates them.'),
    restore_timeout_ms: z.number().int().positive().default(300_000).describe('Longest a partition restore may take before it fails.'),
    min_compaction_lag_ms: z.number().int().nonnegative().default(0).describe('Kafka min.compaction.lag.ms of the created topics.'),
  })
  .strict();

export type KafkaChangelogConfig = z.infer<typeof KafkaChangelogConfig>;
