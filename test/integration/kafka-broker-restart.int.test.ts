import { afterEach, expect, it } from 'vitest';
import { ID_HEADER } from '../../connectors/kafka/records.js';
import { startKafkaBroker, type KafkaBroker } from '../helpers/kafka-broker.js';
import { startTestPipeline, type TestPipeline } from '../helpers/kafka-pipeline.js';
import { expectOutputsEqual, uniqueOutputs } from '../helpers/kafka-outputs.js';
import { encodeEvent, makeEvents, referenceOutputs } from '../helpers/kafka-processor.js';
import { createTopic, produce, readUntil, uniqueTopic, waitFor } from '../helpers/kafka-topics.js';
import { describeEachClient } from '../helpers/kafka-clients.js';

// The broker is restarted (same port, same data) while the pipeline runs: the source, the sink and the
// changelog reconnect by themselves and nothing is lost. This test runs its own broker, not the shared one.

let broker: KafkaBroker | null = null;
let pipeline: TestPipeline | null = null;
// After each test, not all: each client's run starts a broker of its own.
afterEach(async () => {
  await pipeline?.stop();
  await broker?.stop();
  pipeline = null;
  broker = null;
});

describeEachClient('Kafka broker restart', () => {
  it('reconnects and loses nothing', async () => {
    broker = await startKafkaBroker();
    const brokers = broker.brokers;
    const input = uniqueTopic('in');
    const output = uniqueTopic('out');
    const dlq = uniqueTopic('dlq');
    await Promise.all([createTopic(brokers, input, 2), createTopic(brokers, output, 2), createTopic(brokers, dlq, 1)]);
    const events = makeEvents(8, 120);
    const half = events.length / 2;
    const toMessage = (e: (typeof events)[number]) => ({ key: e.key, value: encodeEvent(e) });
    await produce(brokers, input, events.slice(0, half).map(toMessage));

    pipeline = await startTestPipeline({
      brokers,
      input,
      output,
      deadLetters: dlq,
      changelog: `${input}-changelog`,
      group: uniqueTopic('group'),
      delayMs: 50,
      maxBatchRecords: 20,
      retries: 30, // enough patience to outlast the restart
    });
    const p = pipeline;
    await waitFor(() => p.processed() >= 100, 30_000, 'first outputs');
    await broker.stop({ keepData: true });
    await new Promise((r) => setTimeout(r, 1_000)); // the clients see the broker down, not just a blip
    await broker.start();
    await produce(brokers, input, events.slice(half).map(toMessage));

    const expected = referenceOutputs(events);
    const seen = await readUntil(brokers, output, (m) => new Set(m.map((x) => x.headers[ID_HEADER])).size >= expected.size, 90_000);
    expectOutputsEqual(uniqueOutputs(seen), expected);
    expect(p.processed()).toBeGreaterThanOrEqual(events.length);
  });
});
