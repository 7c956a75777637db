import { afterEach, expect, inject, it } from 'vitest';
import { ID_HEADER } from '../../connectors/kafka/records.js';
import { spawnInstance, type Instance } from '../helpers/kafka-instance.js';
import { expectOutputsEqual, uniqueOutputs } from '../helpers/kafka-outputs.js';
import { encodeEvent, makeEvents, referenceOutputs } from '../helpers/kafka-processor.js';
import { createTopic, produce, readUntil, uniqueTopic } from '../helpers/kafka-topics.js';
import { describeEachClient } from '../helpers/kafka-clients.js';

// Two instances of one consumer group, each a child process with per-stream state in the changelog. One is
// SIGKILLed mid-stream; the survivor takes its partitions over, restores their states from the changelog,
// and the final outputs (after dedupe by id) equal those of an uninterrupted run.

const brokers = inject('kafkaBrokers');
const instances: Instance[] = [];
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') {
    for (const i of instances) console.error(`instance ${i.child.pid} reports ${JSON.stringify(i.reports)}\n${i.stderr.join('\n')}`);
  }
  await Promise.all(instances.splice(0).map((i) => i.kill('SIGKILL')));
});

describeEachClient('Kafka consumer group with a state changelog', () => {
  it('moves state to the survivor when an instance is killed', async () => {
    const input = uniqueTopic('in');
    const output = uniqueTopic('out');
    const dlq = uniqueTopic('dlq');
    const group = uniqueTopic('group');
    await Promise.all([createTopic(brokers, input, 4), createTopic(brokers, output, 4), createTopic(brokers, dlq, 1)]);
    const events = makeEvents(16, 150); // 2400 events
    await produce(
      brokers,
      input,
      events.map((e) => ({ key: e.key, value: encodeEvent(e) })),
    );
    // Small, slow batches: the victim is still busy when it is killed.
    const options = {
      brokers,
      input,
      output,
      deadLetters: dlq,
      changelog: `${input}-changelog`,
      group,
      delayMs: 40,
      maxBatchRecords: 20,
      maxInFlight: 100,
    };

    const victim = spawnInstance(options);
    instances.push(victim);
    await victim.waitFor((r) => r.type === 'assigned', 60_000, 'first assignment');
    const survivor = spawnInstance(options);
    instances.push(survivor);
    const first = await survivor.waitFor((r) => r.type === 'assigned', 60_000, 'survivor assignment');
    const victimShare = [0, 1, 2, 3].filter((p) => !first.partitions!.includes(p));
    expect(victimShare.length).toBeGreaterThan(0);
    const progress = () => victim.reports.filter((r) => r.type === 'progress').length;
    const before = progress();
    await victim.waitFor(() => progress() >= before + 3, 30_000, 'progress after the split');
    await victim.kill('SIGKILL');

    // The survivor is assigned the victim's partitions (after the session timeout) and restores their states.
    const takeover = await survivor.waitFor(
      (r) => r.type === 'assigned' && victimShare.every((p) => r.partitions!.includes(p)),
      60_000,
      "takeover of the victim's partitions",
    );
    expect(takeover.restored).toBeGreaterThan(0);

    const expected = referenceOutputs(events);
    const seen = await readUntil(brokers, output, (m) => new Set(m.map((x) => x.headers[ID_HEADER])).size >= expected.size, 90_000);
    expectOutputsEqual(uniqueOutputs(seen), expected);
  });
});
