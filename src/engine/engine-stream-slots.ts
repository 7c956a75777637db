import { grownTo } from './grow.js';
import { PendingForecasts } from './engine-pending-forecasts.js';
import type { StreamEviction } from './engine-stream-eviction.js';

// PipelineEngine's per-stream state outside the model and the stream pipeline, indexed by the
// stream's slot in the model's state arena (ModelRunner.slotOf). Typed arrays grown by doubling, so
// a step costs no allocation once a stream has its slot.

export class EngineStreamSlots {
  /** Grid steps the stream has emitted (warm-up of the model's variance). */
  seen = new Float64Array(0);
  /** Newest event time seen (lateness metric); NaN before the first record. */
  newest = new Float64Array(0);
  /** Steps emitted in the current batch (their model round); zeroed by endBatch. */
  rounds = new Int32Array(0);
  /** Slots with a non-zero round in the current batch. */
  readonly touched: number[] = [];
  readonly pending = new PendingForecasts();
  /** 1 for a slot whose state changed since the last checkpoint capture (incremental checkpoints). */
  changed = new Uint8Array(0);
  /** The slots with changed = 1, in order of their first change. */
  readonly changedSlots: number[] = [];
  /** Every slot counts as changed (a watermark pass may have touched any of them). */
  allChanged = true;
  /** Idle streams out of memory (limits.evict_idle_steps / max_resident_streams); undefined when off. */
  eviction: StreamEviction | undefined = undefined;

  /**
   * Makes room for `slot` (new slots: nothing seen, nothing pending) and marks it changed: every
   * record and every step of a stream passes here first.
   */
  ensure(slot: number): void {
    if (this.rounds.length <= slot) {
      this.rounds = grownTo(this.rounds, slot + 1);
      const n = this.rounds.length;
      this.seen = grownTo(this.seen, n);
      this.newest = grownTo(this.newest, n, NaN);
      this.changed = grownTo(this.changed, n);
      this.pending.grow(n);
    }
    if (this.changed[slot] === 0) {
      this.changed[slot] = 1;
      if (!this.allChanged) this.changedSlots.push(slot);
    }
  }

  /** After a checkpoint captured the state: nothing has changed since. */
  clearChanged(): void {
    this.changed.fill(0);
    this.changedSlots.length = 0;
    this.allChanged = false;
  }

  /** Counts a step of the stream in this batch and returns its round (0 for the first). */
  nextRound(slot: number): number {
    const round = this.rounds[slot]++;
    if (round === 0) this.touched.push(slot);
    return round;
  }

  /** After the batch's rounds were stepped: the next batch starts at round 0 for every stream. */
  endBatch(): void {
    for (const slot of this.touched) this.rounds[slot] = 0;
    this.touched.length = 0;
  }

  /** A slot given back (its stream dropped), ready for reuse by another stream. */
  forget(slot: number): void {
    this.seen[slot] = 0;
    this.newest[slot] = NaN;
    this.pending.clear(slot);
  }
}
