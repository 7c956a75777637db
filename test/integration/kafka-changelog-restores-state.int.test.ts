import { afterEach, expect, inject, it } from 'vitest';
import { createKafkaClient } from '../../connectors/kafka/clients/index.js';
import { MAX_REQUEST_RECORDS } from '../../connectors/kafka/sink.js';
import { KafkaChangelogConfig } from '../../connectors/kafka/changelog/changelog-config.js';
import { KafkaChangelog, type RestoredState } from '../../connectors/kafka/changelog/changelog.js';
import { KafkaModelsTopic, type PublishedModel } from '../../connectors/kafka/changelog/changelog-models.js';
import { createTopic, testConnection, uniqueTopic, waitFor } from '../helpers/kafka-topics.js';
import { describeEachClient } from '../helpers/kafka-clients.js';

// The changelog layer on its own: per-partition restore of the latest state per stream, tombstones, fencing
// of partitions an instance no longer owns; and the models topic that every instance follows.

const brokers = inject('kafkaBrokers');
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

function changelogFor(input: string): KafkaChangelog {
  const connection = testConnection(brokers);
  const c = new KafkaChangelog(createKafkaClient(connection), KafkaChangelogConfig.parse({ topic: `${input}-changelog` }));
  closers.push(() => c.close());
  return c;
}

const bytes = (...xs: number[]) => new Uint8Array(Float64Array.from(xs).buffer);

describeEachClient('KafkaChangelog', () => {
  it('restores the latest state of each stream of the asked partitions only', async () => {
    const input = uniqueTopic('in');
    await createTopic(brokers, input, 3);
    const writer = changelogFor(input);
    expect(await writer.ensureTopic(input)).toBe(3);
    writer.put('a', 0, bytes(1), 10);
    writer.put('b', 1, bytes(2), 11);
    writer.put('c', 2, bytes(3), 12);
    await writer.flush();
    const reused = bytes(4);
    writer.put('a', 0, reused, 20);
    reused.fill(0); // the changelog copied the bytes at put()
    writer.put('b', 1, bytes(5), 21);
    writer.delete('c', 2);
    await writer.flush();

    const reader = changelogFor(input);
    const latest = new Map<string, RestoredState>();
    const n = await reader.restore([0, 2], (s) => latest.set(s.key, s));
    expect(n).toBe(4); // a twice, c and its tombstone: nothing of partition 1
    expect([...latest.keys()].sort()).toEqual(['a', 'c']);
    expect(Array.from(new Float64Array(new Uint8Array(latest.get('a')!.value!).buffer))).toEqual([4]);
    expect(latest.get('a')).toMatchObject({ partition: 0, inputOffset: 20 });
    expect(latest.get('c')!.value).toBeNull();
    expect(await reader.restore([], () => undefined)).toBe(0);
  });

  it('drops writes for partitions it does not own', async () => {
    const input = uniqueTopic('in');
    await createTopic(brokers, input, 2);
    const c = changelogFor(input);
    await c.ensureTopic(input);
    c.put('kept', 0, bytes(1), 1);
    c.put('lost', 1, bytes(2), 2);
    c.setOwned([0]); // the buffered write of partition 1 goes too
    c.put('late', 1, bytes(3), 3);
    await c.flush();
    expect(c.stats.fenced).toBe(2);
    const seen: string[] = [];
    await changelogFor(input).restore([0, 1], (s) => seen.push(s.key));
    expect(seen).toEqual(['kept']);
  });

  it('writes a large flush in requests of at most MAX_REQUEST_RECORDS states, losing none', async () => {
    const input = uniqueTopic('in');
    await createTopic(brokers, input, 2);
    const c = changelogFor(input);
    await c.ensureTopic(input);
    const streams = 2 * MAX_REQUEST_RECORDS + 452; // far under the byte cap: only the record cap splits it
    for (let i = 0; i < streams; i++) c.put(`s${i}`, i % 2, bytes(i, -i), 1_000 + i);
    await c.flush();
    expect(c.stats.written).toBe(streams);
    expect(c.requests).toBe(3);
    const latest = new Map<string, RestoredState>();
    expect(await changelogFor(input).restore([0, 1], (s) => latest.set(s.key, s))).toBe(streams);
    expect(latest.size).toBe(streams);
    const last = latest.get(`s${streams - 1}`)!;
    expect(Array.from(new Float64Array(new Uint8Array(last.value!).buffer))).toEqual([streams - 1, 1 - streams]);
    expect(last).toMatchObject({ partition: (streams - 1) % 2, inputOffset: 1_000 + streams - 1 });
  });

  it('refuses a changelog whose partitions do not match the input', async () => {
    const input = uniqueTopic('in');
    await createTopic(brokers, input, 2);
    await createTopic(brokers, `${input}-changelog`, 3, true);
    await expect(changelogFor(input).ensureTopic(input)).rejects.toThrow(/3 partitions, input .* has 2/);
  });
});

describeEachClient('KafkaModelsTopic', () => {
  it('shows every instance every version in order, so all end on the newest', async () => {
    const topic = uniqueTopic('models');
    const connection = testConnection(brokers);
    const publisher = new KafkaModelsTopic(createKafkaClient(connection), topic);
    closers.push(() => publisher.close());
    await publisher.ensureTopic();
    await publisher.publish({ name: 'weather', version: 'v1', bytes: new TextEncoder().encode('one') });

    const seen: PublishedModel[][] = [[], []];
    for (const list of seen) {
      const follower = new KafkaModelsTopic(createKafkaClient(connection), topic);
      closers.push(() => follower.close());
      await follower.watch((m) => list.push(m));
    }
    await waitFor(() => seen.every((l) => l.length === 1), 20_000, 'the existing version');
    await publisher.publish({ name: 'weather', version: 'v2', bytes: new TextEncoder().encode('two') });
    await waitFor(() => seen.every((l) => l.length === 2), 20_000, 'the new version');
    for (const list of seen) {
      expect(list.map((m) => [m.name, m.version, new TextDecoder().decode(m.bytes)])).toEqual([
        ['weather', 'v1', 'one'],
        ['weather', 'v2', 'two'],
      ]);
    }
  });
});
