import { afterEach, expect, inject, it } from 'vitest';
import { KafkaSourceConfig } from '../../connectors/kafka/config.js';
import { KafkaSource } from '../../connectors/kafka/source.js';
import type { SourceBatch } from '../../connectors/kafka/types.js';
import { createTopic, produce, testConnection, uniqueTopic, waitFor, waitForCommittedEnd } from '../helpers/kafka-topics.js';
import { describeEachClient } from '../helpers/kafka-clients.js';

// Back-pressure on a real broker: a pipeline that holds its batches (acks nothing) makes the source pause
// each partition once max_in_flight records are unacked, so what it has handed out stays bounded however
// much input waits; acking resumes the partitions, and in the end every record was handed out exactly
// once, in offset order per partition, and every offset is committed. Nothing lost, nothing doubled.

const brokers = inject('kafkaBrokers');
const PARTITIONS = 2;
const RECORDS = 3_000;
const MAX_IN_FLIGHT = 100;
const MAX_BATCH = 20;
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describeEachClient('Kafka source back-pressure', () => {
  it('pauses partitions while max_in_flight records are unacked and resumes them without loss', async () => {
    const input = uniqueTopic('bp-in');
    const group = uniqueTopic('bp-group');
    await createTopic(brokers, input, PARTITIONS);
    await produce(
      brokers,
      input,
      Array.from({ length: RECORDS }, (_, i) => ({ key: `s${i % 10}`, partition: i % PARTITIONS, value: String(i) })),
    );
    const source = new KafkaSource(
      KafkaSourceConfig.parse({
        connection: testConnection(brokers),
        topics: [input],
        group_id: group,
        format: 'line',
        max_in_flight: MAX_IN_FLIGHT,
        max_batch_records: MAX_BATCH,
        commit_interval_ms: 20,
        max_wait_ms: 20,
      }),
    );
    const abort = new AbortController();
    const held: SourceBatch[] = [];
    const seen = new Map<number, number[]>(); // partition -> offsets handed out, in order
    let handedOut = 0;
    const sub = source.start(abort.signal).subscribe((b) => {
      for (const r of b.records) {
        const list = seen.get(r.origin!.partition) ?? [];
        list.push(Number(r.origin!.offset));
        seen.set(r.origin!.partition, list);
      }
      handedOut += b.records.length;
      held.push(b);
    });
    stops.push(async () => {
      abort.abort();
      sub.unsubscribe();
      await source.close();
    });

    // Nothing is acked: every partition pauses after at most max_in_flight (+ the rest of one fetch).
    await waitFor(() => source.stats.pauses >= PARTITIONS, 30_000, 'both partitions to pause');
    const atPause = handedOut;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(handedOut).toBe(atPause); // paused: no more records while nothing is acked
    expect(handedOut).toBeLessThan(RECORDS / 2);
    expect(handedOut).toBeGreaterThanOrEqual(PARTITIONS * MAX_IN_FLIGHT);

    // Acking resumes the partitions; keep acking until everything went through.
    const pausesBefore = source.stats.pauses;
    await waitFor(
      () => {
        for (const b of held.splice(0)) b.ack('done');
        return handedOut >= RECORDS;
      },
      60_000,
      'every record to be handed out after resuming',
    );
    for (const b of held.splice(0)) b.ack('done');
    expect(source.stats.pauses).toBeGreaterThan(pausesBefore); // paused again on the way, and resumed again

    // Exactly once, in order, per partition; and the group committed the end of the input.
    for (let p = 0; p < PARTITIONS; p++) {
      expect(seen.get(p)).toEqual(Array.from({ length: RECORDS / PARTITIONS }, (_, i) => i));
    }
    await waitForCommittedEnd(brokers, group, input, 30_000);
  }, 120_000);
});
