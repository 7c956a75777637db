import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Forecast } from '../../src/core/types.js';
import { KafkaSinkConfig } from '../../connectors/kafka/config.js';
import { ID_HEADER } from '../../connectors/kafka/records.js';
import { KafkaSink } from '../../connectors/kafka/sink.js';
import { startKafkaBroker, type KafkaBroker } from '../helpers/kafka-broker.js';
import { describeEachClient } from '../helpers/kafka-clients.js';
import { expectOutputsEqual, uniqueOutputs } from '../helpers/kafka-outputs.js';
import { startTestPipeline, type TestPipeline } from '../helpers/kafka-pipeline.js';
import { encodeEvent, makeEvents, referenceOutputs } from '../helpers/kafka-processor.js';
import { createTopic, produce, readUntil, testConnection, uniqueTopic } from '../helpers/kafka-topics.js';

// The source, sink and changelog through a SASL_SSL listener (SCRAM-SHA-512 over TLS, certificate signed by a
// CA that scripts/kafka.sh generates): the same outputs as on plaintext; a wrong password or an untrusted CA
// is refused. The test tools produce and read over the broker's plaintext listener.

let broker: KafkaBroker;
const running: TestPipeline[] = [];
beforeAll(async () => {
  broker = await startKafkaBroker({ sasl: true });
}, 300_000);
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await broker?.stop();
});

const secure = (password?: string, caFile?: string) => ({
  tls: { ca_file: caFile ?? broker.sasl!.caFile, reject_unauthorized: true },
  sasl: { mechanism: 'scram-sha-512' as const, username: broker.sasl!.username, password: password ?? broker.sasl!.password },
});

describeEachClient('Kafka over SASL_SSL', () => {
  it('runs a source, sink and changelog with SCRAM-SHA-512 over TLS, outputs as on plaintext', async () => {
    const input = uniqueTopic('sasl-in');
    const output = uniqueTopic('sasl-out');
    const dlq = uniqueTopic('sasl-dlq');
    await Promise.all([createTopic(broker.brokers, input, 2), createTopic(broker.brokers, output, 2), createTopic(broker.brokers, dlq, 1)]);
    const events = makeEvents(4, 40);
    await produce(
      broker.brokers,
      input,
      events.map((e) => ({ key: e.key, value: encodeEvent(e) })),
    );

    const p = await startTestPipeline({
      brokers: broker.sasl!.brokers,
      secure: secure(),
      input,
      output,
      deadLetters: dlq,
      changelog: `${input}-changelog`,
      group: uniqueTopic('sasl-group'),
    });
    running.push(p);
    const expected = referenceOutputs(events);
    const outputs = await readUntil(broker.brokers, output, (m) => new Set(m.map((x) => x.headers[ID_HEADER])).size >= expected.size);
    expectOutputsEqual(uniqueOutputs(outputs), expected);
    expect(p.changelog.stats.written).toBeGreaterThan(0);
  });

  it('refuses a wrong password and an untrusted certificate', async () => {
    const output = uniqueTopic('sasl-refused');
    await createTopic(broker.brokers, output, 1);
    const forecast: Forecast = {
      pipeline: 'sasl',
      key: 's0',
      t: 1_700_000_000_000,
      stepMs: 1_000,
      modelVersion: 'v1',
      mean: Float64Array.of(1),
      lower: Float64Array.of(0),
      upper: Float64Array.of(2),
    };
    for (const s of [secure('not-the-password'), secure(undefined, '/etc/ssl/certs/ca-certificates.crt')]) {
      const connection = { ...testConnection(broker.sasl!.brokers, 1), ...s };
      const sink = new KafkaSink(KafkaSinkConfig.parse({ connection, forecasts_topic: output }));
      try {
        await expect(sink.write({ forecasts: [forecast] })).rejects.toMatchObject({ code: 'broker_down' });
        expect(sink.producer.sent).toBe(0);
      } finally {
        await sink.close();
      }
    }
  });
});
