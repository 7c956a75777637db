import type { KafkaLog } from './client.js';
import { createKafkaClient } from './clients/index.js';
import { kafkaConnectionOf, type PipelineSpec } from '../../src/config/pipeline-schema.js';
import { KafkaModelsTopic, type PublishedModel } from './changelog/changelog-models.js';
import type { Logger } from '../../src/telemetry/logger.js';
import type { Retrainer } from '../../src/retraining/retrainer.js';

// The Kafka models topic (state.models_topic) between instances of one pipeline: each promotion is
// published (the Retrainer's `publish` port), and every instance follows the topic and adopts the
// versions it has not got, swapping between two steps with re-warm like a local promotion.

/** The pipeline's models topic, or undefined when state.models_topic is unset. */
export function modelsTopicFor(spec: PipelineSpec, log?: Logger): KafkaModelsTopic | undefined {
  const conn = kafkaConnectionOf(spec);
  if (spec.state.models_topic === undefined || conn === undefined) return undefined;
  return new KafkaModelsTopic(createKafkaClient(conn, log as KafkaLog | undefined), spec.state.models_topic, log);
}

/**
 * Adopts every version of this pipeline on the topic (old ones first; the last one wins) that the
 * retrainer's registry does not hold. Its own publications come back and are ignored. Adoptions run
 * one after another; a bad one is logged and the current model stays. Resolves once following; the
 * returned function stops it and waits for the adoption in progress.
 */
export async function followModelsTopic(
  retrainer: Retrainer,
  topic: Pick<KafkaModelsTopic, 'watch'>,
  log?: Logger,
): Promise<() => Promise<void>> {
  const pipeline = retrainer.o.pipeline;
  let chain: Promise<void> = Promise.resolve();
  const stop = await topic.watch((m: PublishedModel) => {
    if (m.name !== pipeline) return;
    // Copied: the message buffer may sit at any offset of a shared pool.
    const bytes = Uint8Array.from(m.bytes);
    chain = chain
      .then(async () => {
        if (bytes.byteLength % 4 !== 0) throw new RangeError(`model version ${m.version} is ${bytes.byteLength} bytes, not whole float32s`);
        if (await retrainer.adopt(m.version, new Float32Array(bytes.buffer))) {
          log?.info({ version: m.version }, 'Adopted a model version from the models topic; it goes live at the next swap point.');
        }
      })
      .catch((err: unknown) =>
        log?.error({ err, version: m.version }, 'Model version from the models topic rejected; the current model stays.'),
      );
  });
  return async () => {
    await stop();
    await chain;
  };
}
