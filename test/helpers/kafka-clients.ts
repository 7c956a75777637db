import { beforeAll, describe } from 'vitest';
import type { KafkaClientKind } from '../../connectors/kafka/clients/port.js';

// One conformance suite, two clients: the Kafka integration tests run once per client library. Test
// connections (kafka-topics.ts testConnection, the test pipeline, the daemon's pipeline file) take the client
// that the enclosing describeEachClient block runs. TIDECAST_KAFKA_CLIENTS=platformatic (comma-separated)
// runs only those.

const ALL: readonly KafkaClientKind[] = ['kafkajs', 'platformatic'];

export function kafkaClients(): readonly KafkaClientKind[] {
  const only = process.env.TIDECAST_KAFKA_CLIENTS;
  if (!only) return ALL;
  const picked = only.split(',').map((s) => s.trim()) as KafkaClientKind[];
  for (const c of picked) if (!ALL.includes(c)) throw new Error(`TIDECAST_KAFKA_CLIENTS: unknown client ${c}`);
  return picked;
}

let current: KafkaClientKind = 'kafkajs';

/** The client the running block tests. */
export function currentKafkaClient(): KafkaClientKind {
  return current;
}

/** `describe(name, fn)` once per client, with the test connections on that client. */
export function describeEachClient(name: string, fn: (client: KafkaClientKind) => void): void {
  describe.each(kafkaClients().map((c) => [c]))(`${name} [%s]`, (client: KafkaClientKind) => {
    beforeAll(() => {
      current = client;
    });
    fn(client);
  });
}
