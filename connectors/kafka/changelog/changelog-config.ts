import { z } from 'zod';

// Pipeline-file schema of the Kafka state changelog (connection shared with the Kafka source).

const topic = z
  .string()
  .min(1)
  .max(249)
  .regex(/^[a-zA-Z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only');

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

/**
 * The `changelog` option of a Kafka source in the pipeline file: the topic name, the full settings, or false
 * (no per-stream state in Kafka: a rebalance or crash starts the moved streams afresh).
 */
export const KafkaSourceChangelog = z
  .union([topic, KafkaChangelogConfig.omit({ models_topic: true }).partial({ topic: true }).strict(), z.literal(false)])
  .describe(
    'Compacted topic of the per-stream state, keyed by stream, co-partitioned with the input ("<group_id>-changelog" when absent); false: none.',
  );

export type KafkaSourceChangelog = z.infer<typeof KafkaSourceChangelog>;

/** The changelog settings of a Kafka source, or undefined when it has none. */
export function sourceChangelog(option: KafkaSourceChangelog | undefined, groupId: string): KafkaChangelogConfig | undefined {
  if (option === false) return undefined;
  const o = typeof option === 'string' ? { topic: option } : (option ?? {});
  return KafkaChangelogConfig.parse({ ...o, topic: o.topic ?? `${groupId.replace(/[^a-zA-Z0-9._-]/g, '_').slice(0, 239)}-changelog` });
}
