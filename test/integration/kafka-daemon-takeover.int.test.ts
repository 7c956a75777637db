import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, inject, it } from 'vitest';
import { ID_HEADER } from '../../connectors/kafka/records.js';
import { startDaemon, type Daemon } from '../e2e/daemon-harness.js';
import {
  assignedPartitions,
  daemonInput,
  MALFORMED,
  PIPELINE,
  restores,
  writePipelineFile,
  writeTestModel,
  type DaemonPipelineOptions,
  stopDaemons,
  runOptions,
} from '../helpers/kafka-daemon.js';
import { expectOutputsEqual, uniqueOutputs } from '../helpers/kafka-outputs.js';
import {
  createTopic,
  endOffsets,
  produce,
  readAll as readAllOf,
  uniqueTopic,
  waitFor,
  waitForCommittedEnd,
  type ReadMessage,
  type TestMessage,
} from '../helpers/kafka-topics.js';
import { describeEachClient } from '../helpers/kafka-clients.js';

// Two `tidecast run` processes in one consumer group over a 4-partition topic of 12 streams, their states
// in the changelog. One is SIGKILLed mid-stream; the survivor takes its partitions over and restores their
// streams from the changelog. After dedupe by tidecast-id, the forecasts equal those of one uninterrupted
// daemon over the same input (within 1e-6), none missing, none extra; malformed messages are dead-lettered.

const brokers = inject('kafkaBrokers');
const PARTITIONS = 4;
const STREAMS = 12;
const STEPS = 120;
const daemons: Daemon[] = [];
let dir: string;

afterEach(async (ctx) => {
  await stopDaemons(
    daemons,
    ctx.task.result?.state === 'fail',
    (l) => l.level !== 30 || String(l.msg).includes('Kafka') || String(l.msg).includes('restored'),
  );
  // Each client's run makes a directory of its own.
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Resolves once the group has committed every input offset: all outputs and states are durable. */
const drained = (group: string, input: string, timeoutMs: number) => waitForCommittedEnd(brokers, group, input, timeoutMs);
const readAll = (topic: string) => readAllOf(brokers, topic);

function deadLetterCodes(messages: readonly ReadMessage[]): string[] {
  const byId = new Map(
    messages.map((m) => [m.headers[ID_HEADER], JSON.parse(m.value!) as { code: string; pipeline: string; topic: string }]),
  );
  return [...byId.values()].map((d) => `${d.pipeline}:${d.code}`).sort();
}

describeEachClient('tidecast run on Kafka', () => {
  it("hands a SIGKILLed instance's streams to the survivor with their state, outputs equal to an uninterrupted run", async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-kdaemon-'));
    const input = uniqueTopic('kd-in');
    const run = (name: string): DaemonPipelineOptions => runOptions(brokers, input, dir, 'kd', name);
    // Commits lag the changelog by up to 2 s: the survivor gets records its restored states already hold.
    const pair = { ...run('pair'), commitIntervalMs: 2_000 };
    const single = run('single');
    await createTopic(brokers, input, PARTITIONS);
    for (const o of [pair, single])
      await Promise.all([createTopic(brokers, o.forecasts, PARTITIONS), createTopic(brokers, o.deadLetters, 1)]);
    await writeTestModel(pair);
    const messages: TestMessage[] = daemonInput(STREAMS, STEPS, PARTITIONS);
    MALFORMED.forEach((m, i) => {
      messages.splice(100 + i * 400, 0, m.message);
    });

    // Two instances; the input arrives over a few seconds while they run.
    const victimFile = await writePipelineFile(dir, 'victim', { ...pair, stateDir: join(dir, 'victim') });
    const survivorFile = await writePipelineFile(dir, 'survivor', { ...pair, stateDir: join(dir, 'survivor') });
    const victim = await startDaemon(victimFile);
    daemons.push(victim);
    await waitFor(() => assignedPartitions(victim)?.length === PARTITIONS, 30_000, 'the first instance to own every partition');
    const survivor = await startDaemon(survivorFile);
    daemons.push(survivor);
    await waitFor(
      () => {
        const a = assignedPartitions(victim) ?? [];
        const b = assignedPartitions(survivor) ?? [];
        return a.length > 0 && b.length > 0 && a.length + b.length === PARTITIONS;
      },
      30_000,
      'the group to split the partitions',
    );
    const victimShare = assignedPartitions(victim)!;
    const chunk = STREAMS * 4;
    const producing = (async () => {
      for (let i = 0; i < messages.length; i += chunk) {
        await produce(brokers, input, messages.slice(i, i + chunk));
        await new Promise((r) => setTimeout(r, 60));
      }
    })();

    // Kill the victim once its partitions' states are in the changelog, while input is still arriving.
    await waitFor(
      async () => {
        const written = await endOffsets(brokers, pair.changelog).catch(() => new Map<number, number>());
        return victimShare.every((p) => (written.get(p) ?? 0) >= 20);
      },
      30_000,
      "the victim's states in the changelog",
    );
    victim.child.kill('SIGKILL');
    await victim.exited;
    await producing;
    const killedAt = survivor.lines.length;

    // The survivor owns everything after the session timeout and restored the victim's streams first.
    await waitFor(() => assignedPartitions(survivor)?.length === PARTITIONS, 30_000, 'the survivor to own every partition');
    await waitFor(
      () => restores(survivor).some((r) => victimShare.every((p) => r.partitions.includes(p)) && r.records > 0),
      30_000,
      "the restore of the victim's partitions",
    );
    expect(survivor.lines.slice(killedAt).some((l) => l.msg === 'Kafka partitions assigned.')).toBe(true);

    // The reference: one uninterrupted instance over the same input.
    const reference = await startDaemon(await writePipelineFile(dir, 'single', single));
    daemons.push(reference);
    await Promise.all([drained(pair.group, input, 45_000), drained(single.group, input, 45_000)]);

    const expected = uniqueOutputs(await readAll(single.forecasts));
    const actual = uniqueOutputs(await readAll(pair.forecasts));
    // Every stream forecast at almost every step: nothing silently skipped in the reference either.
    expect(expected.size).toBeGreaterThan(STREAMS * (STEPS - 5));
    expect(new Set([...expected.keys()].map((id) => id.split('|')[1])).size).toBe(STREAMS);
    expect([...expected.keys()].every((id) => id.startsWith(`${PIPELINE}|`))).toBe(true);
    expectOutputsEqual(actual, expected);

    // Malformed messages: dead-lettered once each (after dedupe) with their reason, by both runs.
    const want = MALFORMED.map((m) => `${PIPELINE}:${m.code}`).sort();
    expect(deadLetterCodes(await readAll(pair.deadLetters))).toEqual(want);
    expect(deadLetterCodes(await readAll(single.deadLetters))).toEqual(want);

    // A graceful stop still works with the changelog: drain, commit, leave the group, exit 0.
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  }, 120_000);
});
