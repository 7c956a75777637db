import { afterEach, expect, inject, it } from 'vitest';
import { ID_HEADER } from '../../connectors/kafka/records.js';
import { startTestPipeline, type TestPipeline } from '../helpers/kafka-pipeline.js';
import { expectOutputsEqual, uniqueOutputs } from '../helpers/kafka-outputs.js';
import { encodeEvent, makeEvents, referenceOutputs } from '../helpers/kafka-processor.js';
import { createTopic, produce, readUntil, uniqueTopic, type TestMessage } from '../helpers/kafka-topics.js';
import { describeEachClient } from '../helpers/kafka-clients.js';

// Malformed messages land in the dead-letter topic with the reason, the original payload and where they came
// from; every valid event still produces its output.

const brokers = inject('kafkaBrokers');
const running: TestPipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

const MALFORMED: { message: TestMessage; code: string; reason: RegExp }[] = [
  { message: { key: 'test/s0/v', value: '{"t": 1700000000000, "v": ' }, code: 'parse_error', reason: /invalid JSON/ },
  { message: { key: 'test/s1/v', value: 'temp,station=KSEA value=3 1700000000000' }, code: 'parse_error', reason: /invalid JSON/ },
  { message: { key: 'test/s2/v', value: '{"v": 1.5}' }, code: 'parse_error', reason: /"t"/ },
  { message: { key: 'test/s3/v', value: '{"t": 1700000000000, "v": "NaN"}' }, code: 'non_finite', reason: /"v"/ },
  { message: { key: null, value: '{"t": 1700000000000, "v": 2}' }, code: 'parse_error', reason: /no key/ },
  { message: { key: 'test/s0/v', value: '[1, 2]' }, code: 'parse_error', reason: /"t"/ },
  { message: { key: 'test/s1/v', value: null }, code: 'parse_error', reason: /invalid JSON/ },
];

describeEachClient('Kafka dead letters', () => {
  it('dead-letters malformed messages with reason and origin and loses nothing else', async () => {
    const input = uniqueTopic('in');
    const output = uniqueTopic('out');
    const dlq = uniqueTopic('dlq');
    await Promise.all([createTopic(brokers, input, 2), createTopic(brokers, output, 2), createTopic(brokers, dlq, 1)]);
    const events = makeEvents(4, 50);
    const messages: TestMessage[] = events.map((e) => ({ key: e.key, value: encodeEvent(e) }));
    // Spread the bad ones through the stream, on both partitions.
    MALFORMED.forEach((m, i) => {
      messages.splice(10 + i * 25, 0, { ...m.message, partition: i % 2 });
    });
    await produce(brokers, input, messages);
    const inputLog = await readUntil(brokers, input, (m) => m.length === messages.length);

    const p = await startTestPipeline({
      brokers,
      input,
      output,
      deadLetters: dlq,
      changelog: `${input}-changelog`,
      group: uniqueTopic('group'),
    });
    running.push(p);
    const expected = referenceOutputs(events);
    const outputs = await readUntil(brokers, output, (m) => new Set(m.map((x) => x.headers[ID_HEADER])).size >= expected.size);
    expectOutputsEqual(uniqueOutputs(outputs), expected);

    const dead = await readUntil(brokers, dlq, (m) => new Set(m.map((x) => x.headers[ID_HEADER])).size >= MALFORMED.length);
    const byId = new Map(dead.map((d) => [d.headers[ID_HEADER], JSON.parse(d.value!) as Record<string, unknown>]));
    expect(byId.size).toBe(MALFORMED.length);
    for (const bad of MALFORMED) {
      const where = inputLog.find((m) => m.value === bad.message.value && m.key === bad.message.key)!;
      const letter = [...byId.values()].find((d) => d.partition === where.partition && d.offset === where.offset);
      expect(letter, `dead letter for ${bad.message.value}`).toBeDefined();
      expect(letter).toMatchObject({ code: bad.code, topic: input, payload: bad.message.value ?? '', pipeline: 'kafka-test' });
      expect(letter!.reason).toMatch(bad.reason);
    }
  });
});
