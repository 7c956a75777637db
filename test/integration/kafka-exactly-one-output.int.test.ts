import { afterEach, expect, inject, it } from 'vitest';
import { ID_HEADER } from '../../connectors/kafka/records.js';
import { startTestPipeline, type TestPipeline } from '../helpers/kafka-pipeline.js';
import { encodeEvent, makeEvents, referenceOutputs } from '../helpers/kafka-processor.js';
import { committedOffsets, createTopic, endOffsets, produce, readUntil, uniqueTopic, waitFor } from '../helpers/kafka-topics.js';
import { expectOutputsEqual, uniqueOutputs } from '../helpers/kafka-outputs.js';
import { describeEachClient } from '../helpers/kafka-clients.js';

// N events over M streams in, exactly one output per (stream, step) after dedupe by key, none missing,
// values equal to an uninterrupted in-memory run, and offsets committed to the end once all is durable.

const brokers = inject('kafkaBrokers');
const running: TestPipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

describeEachClient('Kafka source -> processor -> sink', () => {
  it('produces exactly one output per (stream, step) and commits only what is durable', async () => {
    const input = uniqueTopic('in');
    const output = uniqueTopic('out');
    const dlq = uniqueTopic('dlq');
    const group = uniqueTopic('group');
    await Promise.all([createTopic(brokers, input, 4), createTopic(brokers, output, 4), createTopic(brokers, dlq, 1)]);
    const events = makeEvents(24, 250); // 6000 events
    await produce(
      brokers,
      input,
      events.map((e) => ({ key: e.key, value: encodeEvent(e) })),
    );

    const p = await startTestPipeline({
      brokers,
      input,
      output,
      deadLetters: dlq,
      changelog: `${input}-changelog`,
      group,
      maxBatchRecords: 200,
      maxInFlight: 400,
    });
    running.push(p);
    const expected = referenceOutputs(events);
    const seen = await readUntil(brokers, output, (m) => new Set(m.map((x) => x.headers[ID_HEADER])).size >= expected.size, 60_000);
    expectOutputsEqual(uniqueOutputs(seen), expected);
    // Backpressure kicked in: at most 400 unacked records per partition, so fetching paused at least once.
    expect(p.source.stats.pauses).toBeGreaterThan(0);

    const ends = await endOffsets(brokers, input);
    await waitFor(
      async () => {
        const committed = await committedOffsets(brokers, group, input);
        return [...ends].every(([part, end]) => committed.get(part) === end);
      },
      10_000,
      'offsets committed to the end',
    );
    expect(p.failures()).toBe(0);
    expect(await p.source.healthcheck()).toEqual({ status: 'ok' });
    // Every stream's last state is in the changelog with the last offset it includes.
    expect(p.changelog.stats.written).toBeGreaterThan(0);
  });

  it('redelivers failed batches from the first unfinished record, losing and doubling nothing', async () => {
    const input = uniqueTopic('in');
    const output = uniqueTopic('out');
    const dlq = uniqueTopic('dlq');
    await Promise.all([createTopic(brokers, input, 2), createTopic(brokers, output, 2), createTopic(brokers, dlq, 1)]);
    const events = makeEvents(6, 100);
    await produce(
      brokers,
      input,
      events.map((e) => ({ key: e.key, value: encodeEvent(e) })),
    );
    const p = await startTestPipeline({
      brokers,
      input,
      output,
      deadLetters: dlq,
      changelog: `${input}-changelog`,
      group: uniqueTopic('group'),
      maxBatchRecords: 50,
      failBatches: 3,
    });
    running.push(p);
    const expected = referenceOutputs(events);
    const seen = await readUntil(brokers, output, (m) => new Set(m.map((x) => x.headers[ID_HEADER])).size >= expected.size, 60_000);
    expectOutputsEqual(uniqueOutputs(seen), expected);
    expect(p.failures()).toBe(3);
    expect(p.source.stats.retries).toBeGreaterThan(0);
  });
});
