import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, inject, it } from 'vitest';
import { startDaemon, type Daemon } from '../e2e/daemon-harness.js';
import {
  assignedPartitions,
  daemonInput,
  PIPELINE,
  pipelineSpec,
  restores,
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
  readAll,
  uniqueTopic,
  waitFor,
  waitForCommittedEnd,
  type TestMessage,
} from '../helpers/kafka-topics.js';
import { describeEachClient } from '../helpers/kafka-clients.js';

// Scale-out (issue 17): three `tidecast run` processes in one consumer group over a 12-partition topic of
// 24 streams, their states in the changelog, producing on a worker thread (`producer_thread: true`). One is
// SIGKILLed mid-stream while input is still arriving; the two survivors split its partitions, restore
// their streams from the changelog, and after dedupe by tidecast-id the forecasts equal those of one
// uninterrupted daemon (producing inline) over the same input, within 1e-6, none missing, none extra.

const brokers = inject('kafkaBrokers');
const PARTITIONS = 12;
const STREAMS = 24;
const STEPS = 100;
const daemons: Daemon[] = [];
let dir: string;

afterEach(async (ctx) => {
  await stopDaemons(
    daemons,
    ctx.task.result?.state === 'fail',
    (l) => l.level !== 30 || String(l.msg).includes('Kafka') || String(l.msg).includes('restored'),
  );
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function pipelineFile(name: string, o: DaemonPipelineOptions, producerThread: boolean): Promise<string> {
  const spec = pipelineSpec(o) as { sinks: Record<string, unknown>[] };
  spec.sinks[0].producer_thread = producerThread;
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, JSON.stringify(spec, null, 2));
  return file;
}

const owned = (ds: readonly Daemon[]) => ds.map((d) => assignedPartitions(d) ?? []);

describeEachClient('tidecast run on Kafka, scaled out', () => {
  it("three instances on 12 partitions: a SIGKILLed one's partitions move to the two survivors, outputs equal to an uninterrupted run", async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-kscale-'));
    const input = uniqueTopic('ks-in');
    const run = (name: string): DaemonPipelineOptions => runOptions(brokers, input, dir, 'ks', name);
    // Commits lag the changelog by up to 1 s: the survivors get records their restored states already hold.
    const trio = { ...run('trio'), commitIntervalMs: 1_000 };
    const single = run('single');
    await createTopic(brokers, input, PARTITIONS);
    for (const o of [trio, single])
      await Promise.all([createTopic(brokers, o.forecasts, PARTITIONS), createTopic(brokers, o.deadLetters, 1)]);
    await writeTestModel(trio);
    const messages: TestMessage[] = daemonInput(STREAMS, STEPS, PARTITIONS);

    const instances: Daemon[] = [];
    for (const name of ['a', 'b', 'c']) {
      const d = await startDaemon(await pipelineFile(name, { ...trio, stateDir: join(dir, name) }, true));
      daemons.push(d);
      instances.push(d);
    }
    await waitFor(
      () => {
        const parts = owned(instances);
        return parts.every((p) => p.length > 0) && new Set(parts.flat()).size === PARTITIONS && parts.flat().length === PARTITIONS;
      },
      60_000,
      'the group to split the partitions three ways',
    );
    const [first, victim, last] = instances;
    const victimShare = assignedPartitions(victim)!;

    const chunk = STREAMS * 4;
    const producing = (async () => {
      for (let i = 0; i < messages.length; i += chunk) {
        await produce(brokers, input, messages.slice(i, i + chunk));
        await new Promise((r) => setTimeout(r, 60));
      }
    })();

    // Kill one instance once its partitions' states are in the changelog, while input is still arriving.
    await waitFor(
      async () => {
        const written = await endOffsets(brokers, trio.changelog).catch(() => new Map<number, number>());
        return victimShare.every((p) => (written.get(p) ?? 0) >= 5);
      },
      60_000,
      "the victim's states in the changelog",
    );
    victim.child.kill('SIGKILL');
    await victim.exited;
    await producing;

    // The survivors own every partition between them, and restored the victim's streams.
    const survivors = [first, last];
    await waitFor(
      () => {
        const parts = owned(survivors);
        return parts.every((p) => p.length > 0) && new Set(parts.flat()).size === PARTITIONS && parts.flat().length === PARTITIONS;
      },
      60_000,
      'the survivors to split every partition',
    );
    await waitFor(
      () => {
        const restored = new Set(
          survivors.flatMap((d) =>
            restores(d)
              .filter((r) => r.records > 0)
              .flatMap((r) => r.partitions),
          ),
        );
        return victimShare.every((p) => restored.has(p));
      },
      30_000,
      "the restore of the victim's partitions",
    );

    const reference = await startDaemon(await pipelineFile('single', single, false));
    daemons.push(reference);
    await Promise.all([waitForCommittedEnd(brokers, trio.group, input, 60_000), waitForCommittedEnd(brokers, single.group, input, 60_000)]);

    const expected = uniqueOutputs(await readAll(brokers, single.forecasts));
    const actual = uniqueOutputs(await readAll(brokers, trio.forecasts));
    expect(expected.size).toBeGreaterThan(STREAMS * (STEPS - 5));
    expect(new Set([...expected.keys()].map((id) => id.split('|')[1])).size).toBe(STREAMS);
    expect([...expected.keys()].every((id) => id.startsWith(`${PIPELINE}|`))).toBe(true);
    expectOutputsEqual(actual, expected);

    // A graceful stop of a survivor (producer thread included) still drains, commits and exits 0.
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);
  }, 180_000);
});
