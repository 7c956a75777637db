import type { TestProject } from 'vitest/node';
import { startKafkaBroker, type KafkaBroker } from './kafka-broker.js';

// Integration project: one real Kafka broker (KRaft, loopback) for the whole run, on KAFKA_PORT when set (so that
// parallel runs on one machine can keep to their own ports), else on a free port. KAFKA_BROKERS points the tests
// at a running broker instead (then nothing is started or stopped here).

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.KAFKA_BROKERS;
  let broker: KafkaBroker | null = null;
  if (given) {
    project.provide('kafkaBrokers', given);
  } else {
    const port = process.env.KAFKA_PORT ? Number(process.env.KAFKA_PORT) : undefined;
    broker = await startKafkaBroker({ port });
    project.provide('kafkaBrokers', broker.brokers);
  }
  return async () => {
    await broker?.stop();
  };
}
