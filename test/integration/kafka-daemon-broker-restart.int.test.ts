import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, inject, it } from 'vitest';
import { startDaemon, type Daemon } from '../e2e/daemon-harness.js';
import { startKafkaBroker, type KafkaBroker } from '../helpers/kafka-broker.js';
import {
  daemonInput,
  PIPELINE,
  stopDaemons,
  writePipelineFile,
  writeTestModel,
  type DaemonPipelineOptions,
} from '../helpers/kafka-daemon.js';
import { expectOutputsEqual, uniqueOutputs } from '../helpers/kafka-outputs.js';
import { createTopic, endOffsets, produce, readAll, uniqueTopic, waitFor, waitForCommittedEnd } from '../helpers/kafka-topics.js';
import { describeEachClient } from '../helpers/kafka-clients.js';

// `tidecast run` (Kafka source with its changelog, Kafka sink) while its broker is stopped and started again
// (same port, same data) mid-run: the daemon stays up, reconnects by itself and loses nothing. After dedupe
// by tidecast-id its forecasts equal those of an uninterrupted daemon on the shared broker (within 1e-6),
// none missing, none extra. The restarted broker is this test's own.

const shared = inject('kafkaBrokers');
const PARTITIONS = 2;
const STREAMS = 6;
const STEPS = 80;
const daemons: Daemon[] = [];
let broker: KafkaBroker | null = null;
let dir: string | null = null;

afterEach(async (ctx) => {
  await stopDaemons(daemons, ctx.task.result?.state === 'fail', (l) => l.level !== 'info' || String(l.msg).includes('Kafka'));
  // Each client's run starts a broker of its own.
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  broker = null;
  dir = null;
});

/** Forecasts written to the topic so far. */
async function written(brokers: string, topic: string): Promise<number> {
  return [...(await endOffsets(brokers, topic)).values()].reduce((a, b) => a + b, 0);
}

describeEachClient('tidecast run on Kafka, broker restarted', (client) => {
  it('stays up through a broker restart, reconnects and loses nothing', async () => {
    broker = await startKafkaBroker();
    const own = broker;
    dir = await mkdtemp(join(tmpdir(), 'tidecast-kdaemon-restart-'));
    const run = (name: string, brokers: string): DaemonPipelineOptions => ({
      brokers,
      input: uniqueTopic(`kr-${name}-in`),
      forecasts: uniqueTopic(`kr-${name}-out`),
      deadLetters: uniqueTopic(`kr-${name}-dlq`),
      group: uniqueTopic(`kr-${name}`),
      changelog: uniqueTopic(`kr-${name}-changelog`),
      stateDir: join(dir!, name),
      modelDir: join(dir!, 'model'),
    });
    const restarted = run('restarted', own.brokers);
    const reference = run('reference', shared);
    for (const o of [restarted, reference]) {
      await Promise.all([
        createTopic(o.brokers, o.input, PARTITIONS),
        createTopic(o.brokers, o.forecasts, PARTITIONS),
        createTopic(o.brokers, o.deadLetters, 1),
      ]);
    }
    await writeTestModel(restarted);
    const messages = daemonInput(STREAMS, STEPS, PARTITIONS);
    const half = messages.length / 2;
    await Promise.all([restarted, reference].map((o) => produce(o.brokers, o.input, messages.slice(0, half))));

    const daemon = await startDaemon(await writePipelineFile(dir, 'restarted', restarted));
    daemons.push(daemon);
    const uninterrupted = await startDaemon(await writePipelineFile(dir, 'reference', reference));
    daemons.push(uninterrupted);

    // Mid-run: once the first forecasts are out, a quarter more arrives and the broker goes away while the
    // daemon works on it; the last quarter arrives after the restart.
    await waitFor(async () => (await written(own.brokers, restarted.forecasts)) > 0, 30_000, 'the first forecasts');
    const threeQuarters = (3 * messages.length) / 4;
    await Promise.all([restarted, reference].map((o) => produce(o.brokers, o.input, messages.slice(half, threeQuarters))));
    const beforeStop = daemon.lines.length;
    await own.stop({ keepData: true });
    await new Promise((r) => setTimeout(r, 1_000)); // the clients see the broker down, not just a blip
    await own.start();
    await Promise.all([restarted, reference].map((o) => produce(o.brokers, o.input, messages.slice(threeQuarters))));

    await Promise.all([
      waitForCommittedEnd(own.brokers, restarted.group, restarted.input, 45_000),
      waitForCommittedEnd(shared, reference.group, reference.input, 45_000),
    ]);
    expect(daemon.child.exitCode).toBeNull();
    // The daemon did notice (else the restart proved nothing): kafkajs logs the lost connection; on
    // @platformatic/kafka (no client log) the source's commits or the batches' writes failed meanwhile.
    const noticed =
      client === 'kafkajs'
        ? /^Kafka client: Connection error/
        : /^(Offset commit failed|Kafka consumer crashed|Batch outputs or state not written)/;
    expect(daemon.lines.slice(beforeStop).some((l) => l.level === 'warn' && noticed.test(String(l.msg)))).toBe(true);

    const expected = uniqueOutputs(await readAll(shared, reference.forecasts));
    const actual = uniqueOutputs(await readAll(own.brokers, restarted.forecasts));
    // Every stream forecast at almost every step in the reference: nothing silently skipped there either.
    expect(expected.size).toBeGreaterThan(STREAMS * (STEPS - 5));
    expect(new Set([...expected.keys()].map((id) => id.split('|')[1])).size).toBe(STREAMS);
    expect([...expected.keys()].every((id) => id.startsWith(`${PIPELINE}|`))).toBe(true);
    expectOutputsEqual(actual, expected);

    // Still the same process, and it stops cleanly: drain, commit, leave the group, exit 0.
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 120_000);
});
