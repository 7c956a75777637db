import { describe, expect, it } from 'vitest';
import { silentLog } from './client.js';
import { parsePipelineText } from '../../src/config/load-pipeline.js';
import type { Forecast, Observation } from '../../src/core/types.js';
import type { ChangelogStats, RestoredState } from './changelog/changelog.js';
import { decodeSnapshot, KafkaStreamStates, type CapturedState } from './stream-states.js';
import { PipelineEngine } from '../../src/engine/pipeline-engine.js';

// The daemon's per-stream Kafka bookkeeping on a real engine: skip what a state already holds, write the
// touched states with their offsets, restore and evict by partition, undo a failed batch. The changelog here
// is an in-memory stand-in with the same contract (puts fenced to owned partitions, latest per key wins);
// the real one is exercised by test/integration/kafka-daemon-takeover.int.test.ts.

const STEP = 60_000;

function engine(forecasts: Forecast[] = []): PipelineEngine {
  const r = parsePipelineText(
    `name: k
step_ms: ${STEP}
sources: [{ kind: kafka, connection: { brokers: ["127.0.0.1:9092"] }, topics: [in], group_id: g, format: json }]
model: { cell: lstm, units: 4, horizon: 2 }
state: { dir: var/k }
`,
    'k.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return new PipelineEngine(r.value.pipelines[0], { forecast: (f) => forecasts.push(f) });
}

class MemoryChangelog {
  readonly stats: ChangelogStats = { written: 0, flushes: 0, restored: 0, fenced: 0 };
  readonly log: RestoredState[] = [];
  owned: Set<number> | null = null;
  private pending: RestoredState[] = [];
  put(key: string, partition: number, value: Uint8Array, inputOffset: number): void {
    if (this.owned !== null && !this.owned.has(partition)) {
      this.stats.fenced++;
      return;
    }
    this.pending.push({ key, partition, value: Uint8Array.from(value), inputOffset });
  }
  async flush(): Promise<void> {
    this.log.push(...this.pending);
    this.stats.written += this.pending.length;
    this.pending = [];
  }
  async restore(partitions: readonly number[], apply: (s: RestoredState) => void): Promise<number> {
    const mine = this.log.filter((s) => partitions.includes(s.partition));
    mine.forEach(apply);
    return mine.length;
  }
}

/** One observation per record: stream `key` on `partition`, record offset `offset`, a step at `i`. */
function obs(key: string, partition: number, offset: number, i: number, v = 10 + Math.sin(i)): Observation {
  return { key, eventTime: i * STEP, fields: { value: v }, origin: { connector: 'kafka', topic: 'in', partition, offset: String(offset) } };
}

function batch(states: KafkaStreamStates, e: PipelineEngine, observations: Observation[]): Set<string> {
  const touched = new Set<string>();
  e.ingest(states.admit(observations, touched));
  return touched;
}

describe('KafkaStreamStates', () => {
  it('restores a stream so that it continues exactly like one that never moved, skipping what it holds', async () => {
    const all = Array.from({ length: 40 }, (_, i) => obs('a', 1, 100 + i, i));
    const uninterrupted: Forecast[] = [];
    const ref = engine(uninterrupted);
    ref.ingest(all);

    // Instance 1 handles the first 25 records and writes the state.
    const changelog = new MemoryChangelog();
    const first = engine();
    const s1 = new KafkaStreamStates(first, changelog, silentLog);
    expect(await s1.persist(batch(s1, first, all.slice(0, 25)))).toBe(true);
    expect(changelog.log.at(-1)).toMatchObject({ key: 'a', partition: 1, inputOffset: 124 });

    // Instance 2 restores partition 1, then gets the records again from offset 120 (commits lagged).
    const out: Forecast[] = [];
    const second = engine(out);
    const s2 = new KafkaStreamStates(second, changelog, silentLog);
    await changelog.restore([1], (s) => s2.restore(s.key, s.partition, s.value, s.inputOffset));
    s2.restored([1]);
    batch(s2, second, all.slice(20));
    expect(s2.skipped).toBe(5);
    const tail = uninterrupted.filter((f) => f.t >= out[0].t);
    expect(out.map((f) => [f.t, Array.from(f.mean)])).toEqual(tail.map((f) => [f.t, Array.from(f.mean)]));
    // The stream's pipeline, recurrent and alert scoring state too.
    expect(second.exportStream('a')!.alerts).not.toBeNull();
    expect(second.exportStream('a')).toEqual(ref.exportStream('a'));
  });

  it('keeps every observation of one record (same offset) within a batch', () => {
    const e = engine();
    const s = new KafkaStreamStates(e, new MemoryChangelog(), silentLog);
    const touched = new Set<string>();
    const kept = s.admit([obs('a', 0, 7, 0), obs('a', 0, 7, 1), obs('b', 0, 8, 0)], touched);
    expect(kept).toHaveLength(3);
    expect([...touched].sort()).toEqual(['a', 'b']);
    expect(s.admit([obs('a', 0, 7, 2)], touched)).toHaveLength(0); // next batch: already held
  });

  it('reports a fenced write (partition not owned) so that the batch is not acked', async () => {
    const e = engine();
    const changelog = new MemoryChangelog();
    const s = new KafkaStreamStates(e, changelog, silentLog);
    changelog.owned = new Set([0]);
    expect(await s.persist(batch(s, e, [obs('a', 0, 1, 0)]))).toBe(true);
    expect(await s.persist(batch(s, e, [obs('b', 1, 1, 0)]))).toBe(false);
    expect(changelog.log.map((r) => r.key)).toEqual(['a']);
  });

  it('drops the streams of revoked partitions and replaces those of restored ones', async () => {
    const e = engine();
    const changelog = new MemoryChangelog();
    const s = new KafkaStreamStates(e, changelog, silentLog);
    await s.persist(batch(s, e, [obs('a', 0, 1, 0), obs('b', 1, 1, 0)]));
    batch(s, e, [obs('c', 1, 2, 0)]); // never written
    s.evict(new Set([0]));
    expect([...e.keys()].sort()).toEqual(['b', 'c']);
    await changelog.restore([1], (r) => s.restore(r.key, r.partition, r.value, r.inputOffset));
    s.restored([1]);
    expect([...e.keys()].sort()).toEqual(['b']);
    expect(decodeSnapshot(changelog.log[1].value!)).toEqual(e.exportStream('b'));
  });

  it('undoes a failed batch back to the last durable state', async () => {
    const e = engine();
    const changelog = new MemoryChangelog();
    const s = new KafkaStreamStates(e, changelog, silentLog);
    await s.persist(
      batch(
        s,
        e,
        Array.from({ length: 5 }, (_, i) => obs('a', 0, i, i)),
      ),
    );
    const durable = e.exportStream('a');
    const failed = batch(
      s,
      e,
      Array.from({ length: 5 }, (_, i) => obs('a', 0, 5 + i, 5 + i)),
    );
    expect(e.exportStream('a')).not.toEqual(durable);
    await s.rollback(failed);
    expect(e.exportStream('a')).toEqual(durable);
    // The redelivered records are applied again, not skipped.
    expect(
      s.admit(
        Array.from({ length: 5 }, (_, i) => obs('a', 0, 5 + i, 5 + i)),
        new Set(),
      ),
    ).toHaveLength(5);
  });

  it('writes a state as captured right after its batch, not as later batches left it (pipelined acks)', async () => {
    const all = Array.from({ length: 30 }, (_, i) => obs('a', 1, 200 + i, i));
    const changelog = new MemoryChangelog();
    const e = engine();
    const s = new KafkaStreamStates(e, changelog, silentLog);
    const captured: CapturedState[] = [];
    s.capture(batch(s, e, all.slice(0, 10)), captured);
    // The next batch is stepped before the first one's outputs are durable.
    batch(s, e, all.slice(10, 30));
    expect(await s.persistCaptured(captured)).toBe(true);
    expect(changelog.log).toHaveLength(1);
    expect(changelog.log[0]).toMatchObject({ key: 'a', partition: 1, inputOffset: 209 });

    // The written state is the one after record 209: restored, it continues from record 210 exactly like
    // an engine that never stopped (its forecasts for records 210..229 are equal).
    const uninterrupted: Forecast[] = [];
    const ref = engine(uninterrupted);
    ref.ingest(all);
    const out: Forecast[] = [];
    const again = engine(out);
    const s2 = new KafkaStreamStates(again, changelog, silentLog);
    await changelog.restore([1], (r) => s2.restore(r.key, r.partition, r.value, r.inputOffset));
    s2.restored([1]);
    batch(s2, again, all.slice(5, 30)); // redelivered from 205: 205..209 are skipped
    expect(s2.skipped).toBe(5);
    const tail = uninterrupted.filter((f) => f.t >= out[0].t);
    expect(out.map((f) => [f.t, Array.from(f.mean)])).toEqual(tail.map((f) => [f.t, Array.from(f.mean)]));
    expect(out.length).toBeGreaterThan(15);
  });
});
