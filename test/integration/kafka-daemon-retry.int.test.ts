import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, inject, it } from 'vitest';
import { ID_HEADER } from '../../connectors/kafka/records.js';
import { startDaemon, type Daemon } from '../e2e/daemon-harness.js';
import {
  daemonInput,
  MALFORMED,
  restores,
  writePipelineFile,
  writeTestModel,
  type DaemonPipelineOptions,
  stopDaemons,
  runOptions,
} from '../helpers/kafka-daemon.js';
import { expectOutputsEqual, uniqueOutputs } from '../helpers/kafka-outputs.js';
import { committedOffsets, createTopic, endOffsets, produce, readUntil, uniqueTopic, waitFor } from '../helpers/kafka-topics.js';
import { describeEachClient } from '../helpers/kafka-clients.js';

// A write of a batch's outputs fails mid-stream (its dead-letter topic does not exist yet): the daemon puts
// the batch's streams back to their changelog states and has the partition redelivered, again and again,
// until the topic appears. Then every forecast equals an uninterrupted run's, and none is missing.

const brokers = inject('kafkaBrokers');
const PARTITIONS = 4;
const daemons: Daemon[] = [];
let dir: string;

afterEach(async (ctx) => {
  await stopDaemons(daemons, ctx.task.result?.state === 'fail', (l) => l.level !== 30 || String(l.msg).includes('restored'));
  // Each client's run makes a directory of its own.
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function drained(group: string, input: string): Promise<void> {
  const ends = await endOffsets(brokers, input);
  await waitFor(
    async () => {
      const done = await committedOffsets(brokers, group, input);
      return [...ends].every(([p, end]) => end === 0 || done.get(p) === end);
    },
    45_000,
    `group ${group} to commit the end of ${input}`,
  );
}

async function forecasts(topic: string) {
  const total = [...(await endOffsets(brokers, topic)).values()].reduce((a, b) => a + b, 0);
  return uniqueOutputs(await readUntil(brokers, topic, (m) => m.length >= total, 30_000));
}

describeEachClient('tidecast run on Kafka when an output write fails', () => {
  it('undoes the batch from the changelog and replays it until the write succeeds', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-kretry-'));
    const input = uniqueTopic('kr-in');
    const run = (name: string): DaemonPipelineOptions => runOptions(brokers, input, dir, 'kr', name);
    const failing = run('failing');
    const single = run('single');
    await createTopic(brokers, input, PARTITIONS);
    await Promise.all([
      createTopic(brokers, failing.forecasts, PARTITIONS),
      createTopic(brokers, single.forecasts, PARTITIONS),
      createTopic(brokers, single.deadLetters, 1),
    ]);
    await writeTestModel(failing);
    // One malformed message a third into partition 1: the batch holding it needs the missing topic.
    const messages = daemonInput(8, 60, PARTITIONS);
    messages.splice(160, 0, MALFORMED[1].message);
    await produce(brokers, input, messages);

    const daemon = await startDaemon(await writePipelineFile(dir, 'failing', failing));
    daemons.push(daemon);
    const failures = () =>
      daemon.lines.filter((l) => l.msg === 'Batch outputs or state not written; the batch is undone and redelivered.').length;
    await waitFor(() => failures() >= 2, 45_000, 'two failed writes of the batch with the dead letter');
    await createTopic(brokers, failing.deadLetters, 1);

    const reference = await startDaemon(await writePipelineFile(dir, 'single', single));
    daemons.push(reference);
    await Promise.all([drained(failing.group, input), drained(single.group, input)]);
    const expected = await forecasts(single.forecasts);
    expect(expected.size).toBeGreaterThan(8 * 55);
    expectOutputsEqual(await forecasts(failing.forecasts), expected);
    // The undo read states back from the changelog: earlier batches of partition 1 had written them.
    expect(restores(daemon).some((r) => r.partitions.includes(1) && r.records > 0)).toBe(true);
    const dead = await readUntil(brokers, failing.deadLetters, (m) => m.length >= 1, 10_000);
    expect(new Set(dead.map((m) => m.headers[ID_HEADER])).size).toBe(1);
  }, 120_000);
});
