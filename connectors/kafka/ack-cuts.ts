import type { CapturedState, KafkaStreamStates } from './stream-states.js';
import type { StageObserver } from './stage-latency.js';
import type { SourceBatch } from './types.js';

// The daemon's acknowledgements with one changelog write per stream per interval instead of one per
// batch (the JSON state of a stream is ~15 KB; exporting it for every batch cost as much as the model).
// A group of source batches is registered as it is handed to the engine; the runtime calls durable()
// once its outputs are durable, and goes on at once (the changelog is off its path). Every `intervalMs`
// a cut exports the state of each stream stepped since the previous cut, once, between two steps; it
// waits until every group of the cut is durable (or was dropped unstepped), writes the states, flushes,
// and only then acks the groups' batches (their offsets become committable). A failed output write or
// changelog write undoes every group not yet acked: their partitions are redelivered from the first
// unacked record and their streams put back to the changelog's states, so nothing is lost, and what is
// written again has the same values (a consumer dedupes by record id).

export interface AckCutsOptions {
  readonly states: Pick<KafkaStreamStates, 'capture' | 'persistCaptured' | 'rollback'>;
  /** Least time between two cuts. */
  readonly intervalMs: number;
  /** Times the 'changelog' stage: outputs durable -> states durable (per group). */
  readonly stages: StageObserver;
  readonly signal: AbortSignal;
  /** An undo that could not finish (aborted while the changelog was unreachable). */
  onError(err: unknown): void;
  /** Told when a cut's write failed and everything unacked is undone. */
  onUndo?(err: unknown): void;
}

/** A group of source batches handed to the engine together; `touched[i]`: the streams of batches[i]. */
export interface CutGroup {
  readonly batches: readonly SourceBatch[];
  readonly touched: readonly ReadonlySet<string>[];
}

interface Entry {
  readonly group: CutGroup;
  readonly settled: Promise<void>;
  settle(): void;
  durableAt: number;
  dropped: boolean;
}

export class AckCuts {
  /** Registered and not yet acked or undone, in stepping order. */
  private unacked: Entry[] = [];
  private sinceCut: Entry[] = [];
  private dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private lastCut = -Infinity;
  private chain: Promise<void> = Promise.resolve();
  /** A cut is being written: the next one waits for it (so cuts grow when the changelog is slow). */
  private writing = false;
  private closed = false;
  /** Bumped by every undo: cuts taken before it write nothing. */
  private epoch = 0;
  /** While an undo restores streams, nothing may be stepped (see undoing()). */
  private restoring: Promise<void> | undefined;
  /** Cuts written, for tests and profiles. */
  cuts = 0;
  undos = 0;

  constructor(private readonly o: AckCutsOptions) {}

  /** Resolves when no undo is restoring streams: await it before stepping a group. */
  undoing(): Promise<void> | undefined {
    return this.restoring;
  }

  /** The group is about to be stepped; returns its handle for durable() and dropped(). */
  add(group: CutGroup): Entry {
    let settle: () => void = () => {};
    const settled = new Promise<void>((r) => (settle = r));
    const e: Entry = { group, settled, settle, durableAt: 0, dropped: false };
    this.unacked.push(e);
    this.sinceCut.push(e);
    for (const t of group.touched) for (const key of t) this.dirty.add(key);
    this.arm();
    return e;
  }

  /** The group's outputs are durable: a cut may write its streams' states and ack it. */
  durable(e: Entry): void {
    e.durableAt = performance.now();
    e.settle();
  }

  /** The group was not stepped (stale when its turn came): nothing of it waits to be written. */
  dropped(e: Entry): void {
    e.dropped = true;
    e.settle();
  }

  /**
   * The group's outputs were not written: every unacked group is undone (redelivered, its streams put back
   * to their durable states). Resolves once the streams are back.
   */
  retry(e: Entry): Promise<void> {
    // Undone already (a cut failed meanwhile): its batches are being redelivered.
    if (!this.unacked.includes(e)) return this.restoring ?? Promise.resolve();
    return this.undo();
  }

  /** Cuts now (after the cut being written) and waits, at most `timeoutMs`, until every group so far is acked. */
  async drain(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const last = (async () => {
      await this.chain;
      if (this.sinceCut.length > 0) this.cut();
      await this.chain;
    })();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([last, new Promise<void>((r) => (timeout = setTimeout(r, timeoutMs)))]);
    clearTimeout(timeout);
  }

  private arm(): void {
    if (this.closed) return;
    this.timer ??= setTimeout(() => this.cut(), Math.max(0, this.lastCut + this.o.intervalMs - performance.now()));
  }

  private cut(): void {
    this.timer = null;
    // One cut written at a time: when the changelog is slower than the interval, the next cut waits and
    // takes more groups, each stream's state still once (re-armed when this one is done).
    if (this.writing) return;
    this.lastCut = performance.now();
    const entries = this.sinceCut;
    const keys = this.dirty;
    this.sinceCut = [];
    this.dirty = new Set();
    if (entries.length === 0) return;
    // Exported now, between two steps: the states hold exactly the groups registered so far.
    const states: CapturedState[] = [];
    this.o.states.capture(keys, states);
    const epoch = this.epoch;
    this.cuts++;
    this.writing = true;
    this.chain = this.chain
      .then(async () => {
        for (const e of entries) await e.settled;
        if (epoch !== this.epoch) return;
        const persisted = await this.o.states.persistCaptured(states);
        if (epoch !== this.epoch) return;
        this.unacked.splice(0, entries.length);
        // A fenced write (a rebalance began) acks nothing: the next generation redelivers the batches.
        if (!persisted) return;
        const now = performance.now();
        for (const e of entries) {
          if (e.dropped) continue;
          this.o.stages.observe('changelog', now - e.durableAt);
          for (const b of e.group.batches) b.ack('done');
        }
      })
      .catch((err: unknown) => {
        if (epoch !== this.epoch) return;
        this.o.onUndo?.(err);
        this.undo().catch((e: unknown) => this.o.onError(e));
      })
      .finally(() => {
        this.writing = false;
        if (this.sinceCut.length > 0) this.arm();
      });
  }

  private async undo(): Promise<void> {
    if (this.restoring !== undefined) await this.restoring;
    const all = this.unacked;
    if (all.length === 0) return;
    this.epoch++;
    this.undos++;
    this.unacked = [];
    this.sinceCut = [];
    this.dirty = new Set();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const undo = new Set<string>();
    const again: SourceBatch[] = [];
    for (const e of all) {
      e.settle(); // a cut waiting on it sees the new epoch and writes nothing
      e.group.batches.forEach((b, i) => {
        // A stale batch's streams were dropped or restored with their partition: nothing to undo.
        if (b.stale()) return;
        again.push(b);
        for (const key of e.group.touched[i]) undo.add(key);
      });
    }
    // Redelivery first: the partitions' batches handed out since (stepped or not) go stale now.
    for (const b of again) b.ack('retry');
    const restored = this.o.states.rollback(undo, this.o.signal);
    this.restoring = restored.then(
      () => undefined,
      () => undefined,
    );
    try {
      await restored;
    } finally {
      this.restoring = undefined;
    }
  }
}
