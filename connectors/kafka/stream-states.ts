import type { KafkaLog } from './client.js';
import type { Observation } from '../../src/core/types.js';
import type { KafkaChangelog } from './changelog/changelog.js';
import type { ChangelogTarget } from './changelog/changelog-hooks.js';
import type { StreamSnapshot } from '../../src/engine/pipeline-engine.js';

// The daemon's per-stream state on Kafka: which input partition each stream lives on and the last input
// offset its in-memory state includes. Records at or before that offset are already in the state (a
// redelivery after a restore or a retry) and are skipped, not applied twice. After a batch, the states of
// its streams go to the changelog with that offset; a partition assignment restores them from there.

/** The engine's per-stream state as the changelog layer needs it (PipelineEngine implements it). */
export interface StreamStateStore {
  exportStream(key: string): StreamSnapshot | undefined;
  importStream(st: StreamSnapshot): boolean;
  dropStream(key: string): boolean;
}

interface Entry {
  partition: number;
  /** Last input offset included in the stream's in-memory state; -1 when none. */
  offset: number;
  /** The offset as of the start of the batch numbered `batch` (one record may hold several observations). */
  floor: number;
  batch: number;
}

/** A stream's state as capture() took it: what persistCaptured() puts into the changelog. */
export interface CapturedState {
  readonly key: string;
  readonly partition: number;
  /** Last input offset the state includes. */
  readonly offset: number;
  readonly value: Uint8Array;
}

interface Restored {
  readonly partition: number;
  readonly value: Uint8Array | null;
  readonly inputOffset: number;
}

export class KafkaStreamStates implements ChangelogTarget {
  private readonly streams = new Map<string, Entry>();
  private readonly restoring = new Map<string, Restored>();
  private batch = 0;
  /** Redelivered records skipped because the state already held them. */
  skipped = 0;

  constructor(
    private readonly store: StreamStateStore,
    private readonly changelog: Pick<KafkaChangelog, 'put' | 'flush' | 'restore' | 'stats'>,
    private readonly log: KafkaLog,
  ) {}

  /**
   * The observations of a batch not yet in their streams' states; `touched` gets every stream the batch
   * names, skipped or not, so that its state is (re)written before the batch is acked.
   */
  admit(observations: readonly Observation[], touched: Set<string>): Observation[] {
    const seq = ++this.batch;
    const kept: Observation[] = [];
    for (const o of observations) {
      if (o.origin === undefined) {
        kept.push(o);
        continue;
      }
      const offset = Number(o.origin.offset);
      let e = this.streams.get(o.key);
      if (e === undefined) this.streams.set(o.key, (e = { partition: o.origin.partition, offset: -1, floor: -1, batch: seq }));
      if (e.batch !== seq) {
        e.batch = seq;
        e.floor = e.offset;
      }
      touched.add(o.key);
      if (offset <= e.floor) {
        this.skipped++;
        continue;
      }
      if (offset > e.offset) e.offset = offset;
      e.partition = o.origin.partition;
      kept.push(o);
    }
    return kept;
  }

  /**
   * Writes the touched streams' states and waits until they are durable. False when a write was fenced (the
   * partition is being rebalanced or was revoked): the batch must then not be acked.
   */
  async persist(touched: ReadonlySet<string>): Promise<boolean> {
    const states: CapturedState[] = [];
    this.capture(touched, states);
    return this.persistCaptured(states);
  }

  /**
   * The touched streams' states as of now, encoded for the changelog (copies: later batches do not change
   * them). Taken right after a batch is stepped, so that a later batch stepped before this one's outputs
   * are durable is not in them.
   */
  capture(touched: Iterable<string>, into: CapturedState[]): void {
    for (const key of touched) {
      const e = this.streams.get(key);
      const st = e === undefined ? undefined : this.store.exportStream(key);
      // Gone when its partition was revoked meanwhile (the changelog fences such writes too).
      if (e === undefined || st === undefined) continue;
      into.push({ key, partition: e.partition, offset: e.offset, value: encodeSnapshot(st) });
    }
  }

  /** Writes captured states and waits until they are durable; false when a write was fenced (see persist). */
  async persistCaptured(states: readonly CapturedState[]): Promise<boolean> {
    const fencedBefore = this.changelog.stats.fenced;
    for (const c of states) this.changelog.put(c.key, c.partition, c.value, c.offset);
    const fenced = this.changelog.stats.fenced !== fencedBefore;
    await this.changelog.flush();
    return !fenced;
  }

  /**
   * Undoes a failed batch: its streams go back to their last durable states (the changelog's), so that the
   * redelivered records are applied again rather than skipped.
   */
  async rollback(touched: ReadonlySet<string>, signal?: AbortSignal): Promise<void> {
    const partitions = new Set<number>();
    for (const key of touched) {
      const e = this.streams.get(key);
      if (e === undefined) continue;
      partitions.add(e.partition);
      this.forget(key);
    }
    if (partitions.size === 0) return;
    // The streams are gone from memory now: keep trying (the broker may be down too) until they are back.
    for (let waitMs = 500; ; waitMs = Math.min(2 * waitMs, 10_000)) {
      try {
        await this.changelog.restore([...partitions], (s) => {
          if (touched.has(s.key)) this.restoring.set(s.key, s);
        });
        break;
      } catch (err) {
        this.restoring.clear();
        if (signal?.aborted) throw err;
        this.log.warn(
          { err: (err as Error).message, partitions: [...partitions], retryMs: waitMs },
          'Changelog read for an undo failed; trying again.',
        );
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
    this.applyRestored(partitions);
  }

  // ChangelogTarget: restore collects the latest record per stream; restored() applies them.

  restore(key: string, partition: number, value: Uint8Array | null, inputOffset: number): void {
    this.restoring.set(key, { partition, value, inputOffset });
  }

  /** Applies what restore() collected for these partitions, replacing whatever was held for them. */
  restored(partitions: readonly number[]): void {
    const set = new Set(partitions);
    for (const [key, e] of this.streams) if (set.has(e.partition)) this.forget(key);
    this.applyRestored(set);
  }

  evict(partitions: ReadonlySet<number>): void {
    let n = 0;
    for (const [key, e] of this.streams) {
      if (!partitions.has(e.partition)) continue;
      this.forget(key);
      n++;
    }
    this.log.info({ partitions: [...partitions], streams: n }, 'Streams of revoked partitions dropped.');
  }

  private applyRestored(partitions: ReadonlySet<number>): void {
    let failed = 0;
    for (const [key, r] of this.restoring) {
      if (!partitions.has(r.partition) || r.value === null) continue;
      try {
        const st = decodeSnapshot(r.value);
        if (st.key !== key) throw new Error(`the state is of stream ${st.key}`);
        this.store.importStream(st);
        this.streams.set(key, { partition: r.partition, offset: r.inputOffset, floor: r.inputOffset, batch: 0 });
      } catch (err) {
        // The stream starts afresh (a changed model or pipeline no longer fits the stored state).
        this.store.dropStream(key);
        if (failed++ === 0)
          this.log.warn({ err: (err as Error).message, stream: key }, 'A changelog state does not fit; the stream starts afresh.');
      }
    }
    this.restoring.clear();
    if (failed > 0) this.log.warn({ streams: failed }, 'Changelog states that did not fit.');
  }

  private forget(key: string): void {
    this.store.dropStream(key);
    this.streams.delete(key);
  }
}

export function encodeSnapshot(st: StreamSnapshot): Uint8Array {
  return Buffer.from(JSON.stringify(st), 'utf8');
}

export function decodeSnapshot(bytes: Uint8Array): StreamSnapshot {
  const st = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as StreamSnapshot;
  if (typeof st?.key !== 'string' || typeof st.state !== 'string') throw new Error('not a stream state');
  return st;
}
