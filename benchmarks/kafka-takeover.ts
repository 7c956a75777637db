import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../test/e2e/daemon-harness.js';
import { assignedPartitions, pipelineSpec, STEP_MS, writeTestModel, type DaemonPipelineOptions } from '../test/helpers/kafka-daemon.js';
import { createTopic, testKafka, uniqueTopic } from '../test/helpers/kafka-topics.js';
import { ID_HEADER } from '../connectors/kafka/records.js';

// bench:kafka's scale-out run: three `tidecast run` processes in one consumer group on a 12-partition
// topic, input produced at a steady rate, forecasts counted as they reach the forecasts topic (each
// tidecast-id once: replays after the take-over are not counted twice). Once the group keeps up, one
// instance is SIGKILLed; the recovery time is from the kill until the forecasts of the streams on its
// partitions come at 90% of their input rate again (over the last second). It includes the group noticing
// the death (session_timeout_ms: 6 s, the broker's least), the rebalance, the survivors restoring the
// victim's streams from the changelog, and their catch-up.

export interface TakeoverOptions {
  readonly streams: number;
  /** Input events per second (every stream once per step). */
  readonly rate: number;
  /** Least seconds of input before the kill (which waits until the group keeps up, 30 s at most). */
  readonly beforeKillSec: number;
  /** Longest wait for recovery after the kill. */
  readonly maxRecoverySec: number;
  readonly note: (msg: string) => void;
}

export interface TakeoverResult {
  readonly takeoverRecoverySec: number;
  /** The lowest 1-s forecast rate (all streams) after the kill, as a share of the input rate. */
  readonly dipShare: number;
  /** The 1-s forecast rate just before the kill, as a share of the input rate (about 1: the group kept up). */
  readonly beforeKillShare: number;
  readonly partitions: number;
  readonly victimPartitions: number;
  readonly inputRate: number;
}

const PARTITIONS = 12;
const T0 = 1_700_000_000_000;
const TICK_MS = 50;

export async function takeoverRecovery(brokers: string, o: TakeoverOptions): Promise<TakeoverResult> {
  const dir = await mkdtemp(join(tmpdir(), 'tidecast-bench-takeover-'));
  const daemons: Daemon[] = [];
  try {
    const input = uniqueTopic('bench-to-in');
    const options: DaemonPipelineOptions = {
      brokers,
      input,
      forecasts: uniqueTopic('bench-to-out'),
      deadLetters: uniqueTopic('bench-to-dlq'),
      group: uniqueTopic('bench-to'),
      changelog: uniqueTopic('bench-to-changelog'),
      stateDir: join(dir, 'state'),
      modelDir: join(dir, 'model'),
    };
    await Promise.all([
      createTopic(brokers, input, PARTITIONS),
      createTopic(brokers, options.forecasts, PARTITIONS),
      createTopic(brokers, options.deadLetters, 1),
    ]);
    await writeTestModel(options);
    for (const name of ['a', 'b', 'c']) {
      const spec = pipelineSpec({ ...options, stateDir: join(dir, name) }) as {
        sources: Record<string, unknown>[];
        sinks: Record<string, unknown>[];
      };
      // The tests' tiny batches (20 records) make take-overs quick to provoke; a deployment keeps the defaults.
      spec.sources[0].max_batch_records = 1_000;
      spec.sources[0].max_in_flight = 10_000;
      spec.sinks[0].producer_thread = true;
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, JSON.stringify(spec));
      daemons.push(await startDaemon(file));
    }
    await until(
      () => {
        const parts = daemons.map((d) => assignedPartitions(d) ?? []);
        return parts.every((p) => p.length > 0) && parts.flat().length === PARTITIONS && new Set(parts.flat()).size === PARTITIONS;
      },
      60_000,
      'three instances to split the partitions',
    );

    // Unique forecasts, bucketed by arrival in 100 ms slots from the start of the input: all, and those of
    // the victim's streams (its partitions are known at the kill).
    const seen = new Set<string>();
    const slots = new Float64Array(Math.ceil((30 + o.maxRecoverySec + 5) * 10));
    const victimSlots = new Float64Array(slots.length);
    let victimShare = new Set<number>();
    let sampleId = '';
    let start = 0;
    const consumer = testKafka(brokers).consumer({ groupId: uniqueTopic('bench-to-read'), maxWaitTimeInMs: 20 });
    await consumer.connect();
    await consumer.subscribe({ topics: [options.forecasts], fromBeginning: true });
    void consumer.run({
      eachBatch: async ({ batch }) => {
        const slot = Math.floor((performance.now() - start) / 100);
        for (const m of batch.messages) {
          const id = m.headers?.[ID_HEADER]?.toString();
          if (id === undefined || seen.has(id)) continue;
          sampleId ||= id;
          seen.add(id);
          if (start > 0 && slot >= 0 && slot < slots.length) {
            slots[slot]++;
            // id: pipeline|stream|t|model version; stream "s<i>" is on input partition i mod 12.
            const stream = /s(\d+)\|/.exec(id);
            if (stream !== null && victimShare.has(Number(stream[1]) % PARTITIONS)) victimSlots[slot]++;
          }
        }
      },
    });

    // Steady input: every stream once per step, steps of streams/rate seconds, sent in 50 ms rounds.
    const producer = testKafka(brokers).producer();
    await producer.connect();
    const stepWallMs = (o.streams * 1_000) / o.rate;
    let sent = 0;
    let killedAt = NaN;
    let victimPartitions = 0;
    start = performance.now();
    const endAt = start + (30 + o.maxRecoverySec) * 1_000;
    let recoveredAt = NaN;
    while (performance.now() < endAt && Number.isNaN(recoveredAt)) {
      const now = performance.now();
      const due = Math.floor(((now - start) / stepWallMs) * o.streams);
      if (due > sent) {
        const messages = [];
        for (; sent < due; sent++) {
          const k = Math.floor(sent / o.streams);
          const s = sent % o.streams;
          messages.push({
            key: `s${s}`,
            partition: s % PARTITIONS,
            value: `{"stream":"s${s}","t":${T0 + k * STEP_MS},"v":${(10 + 5 * Math.sin(k / 7 + s)).toFixed(4)}}`,
          });
        }
        await producer.send({ topic: input, messages, acks: 1 });
      }
      // The kill comes once the group keeps up (the last second's forecasts at 90% of the input rate).
      const nowSlot = Math.floor((now - start) / 100) - 1;
      const steadyAt = (end: number) => Math.abs(windowRate(slots, end) / o.rate - 1) <= 0.1;
      const steady = (steadyAt(nowSlot) && steadyAt(nowSlot - 10)) || now - start > 30_000;
      if (Number.isNaN(killedAt) && now - start >= o.beforeKillSec * 1_000 && steady) {
        const victim = daemons[1];
        victimShare = new Set(assignedPartitions(victim) ?? []);
        victimPartitions = victimShare.size;
        victim.child.kill('SIGKILL');
        killedAt = performance.now();
        o.note(
          `takeover: killed one of three instances (${victimPartitions} of ${PARTITIONS} partitions) after ${((killedAt - start) / 1_000).toFixed(1)} s at ${o.rate} events/s`,
        );
      }
      const victimRate = (o.rate * victimStreams(o.streams, victimShare)) / o.streams;
      if (!Number.isNaN(killedAt))
        recoveredAt = recovery(victimSlots, (killedAt - start) / 100, (performance.now() - start) / 100, victimRate);
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    await producer.disconnect();
    await consumer.disconnect();
    const killSlot = (killedAt - start) / 100;
    const lastSlot = Math.floor((performance.now() - start) / 100);
    let dip = Infinity;
    for (let i = Math.ceil(killSlot) + 10; i <= Math.min(lastSlot, slots.length); i++) dip = Math.min(dip, windowRate(slots, i) / o.rate);
    const perSecond = Array.from({ length: Math.floor(lastSlot / 10) }, (_, i) => windowRate(slots, 10 * (i + 1)));
    const victimPerSecond = Array.from({ length: Math.floor(lastSlot / 10) }, (_, i) => windowRate(victimSlots, 10 * (i + 1)));
    o.note(
      `takeover: unique forecasts per second (kill at ${(killSlot / 10).toFixed(1)} s): ${perSecond.join(' ')}; of the victim's streams: ${victimPerSecond.join(' ')} (ids like ${sampleId})`,
    );
    return {
      takeoverRecoverySec: Number.isNaN(recoveredAt) ? NaN : Math.round(((recoveredAt - killSlot) / 10) * 10) / 10,
      dipShare: Math.round(dip * 100) / 100,
      beforeKillShare: Math.round((windowRate(slots, Math.floor(killSlot)) / o.rate) * 100) / 100,
      partitions: PARTITIONS,
      victimPartitions,
      inputRate: o.rate,
    };
  } finally {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
    await Promise.all(daemons.map((d) => d.exited));
    await rm(dir, { recursive: true, force: true });
  }
}

function victimStreams(streams: number, partitions: ReadonlySet<number>): number {
  let n = 0;
  for (let s = 0; s < streams; s++) if (partitions.has(s % PARTITIONS)) n++;
  return n;
}

/** Forecasts in the second ending at slot `end` (exclusive), per second. */
function windowRate(slots: Float64Array, end: number): number {
  let n = 0;
  for (let i = Math.max(0, end - 10); i < end && i < slots.length; i++) n += slots[i];
  return n;
}

/**
 * The first slot after the kill at which the last second's forecasts reach 90% of the input rate, after
 * having dropped below it (the dip the kill causes); NaN while not recovered. Slots still filling are skipped.
 */
function recovery(slots: Float64Array, killSlot: number, nowSlot: number, rate: number): number {
  let dipped = false;
  for (let end = Math.ceil(killSlot) + 1; end <= Math.floor(nowSlot) - 1; end++) {
    const r = windowRate(slots, end);
    if (r < 0.9 * rate) dipped = true;
    else if (dipped) return end;
  }
  return NaN;
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`takeover bench: no ${what} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
