import { join } from 'node:path';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { ComponentMetrics } from '../operators/context.js';
import { ChunkWriter } from '../state/record-chunks.js';
import { SpillFile } from '../state/spill-file.js';
import { restoreStreams, streamRecordLayout, writeStreamRecord } from './engine-stream-records.js';
import type { EngineStreamParts } from './engine-stream-snapshot.js';

// Idle streams leave memory (limits.evict_idle_steps, limits.max_resident_streams): between batches
// (at each checkpoint), a stream that holds no record and no open step, so that no watermark pass
// could emit anything for it, is written as its binary checkpoint record to a spill file and dropped
// from every per-stream structure; its next record brings the record back first, so the stream goes on
// exactly as if it had never left (same bits). Checkpoints copy the evicted streams' records from the
// spill file: a base holds every stream, a delta those evicted since the checkpoint before it.

/** Streams written to the spill file in one go (a few MB of records). */
const EVICT_GROUP = 512;

export interface EvictionOptions {
  /** Evict a stream whose newest record is this many steps behind the pipeline's newest (0: not by age). */
  readonly idleSteps: number;
  /** Most streams kept in memory; above it the longest idle leave first (Infinity: no limit). */
  readonly maxResident: number;
  readonly stepMs: number;
  /** The spill file (scratch of this process: truncated when opened, removed on close). */
  readonly path: string;
}

/** The spill file of a pipeline, beside its checkpoints. */
export function spillPath(spec: PipelineSpec): string {
  return join(spec.state.dir, 'evicted-streams.spill');
}

export class StreamEviction {
  private spill: SpillFile | undefined;
  /** Evicted streams whose state changed since the last checkpoint capture (the next delta holds them). */
  readonly changed = new Set<string>();
  /** Streams evicted and recalled since start. */
  evictions = 0;
  recalls = 0;

  constructor(
    private readonly parts: EngineStreamParts,
    readonly options: EvictionOptions,
    private readonly metrics?: ComponentMetrics,
  ) {}

  /** The eviction the pipeline's limits ask for, or undefined (none set). */
  static forSpec(spec: PipelineSpec, parts: EngineStreamParts, metrics?: ComponentMetrics): StreamEviction | undefined {
    const { evict_idle_steps: idle, max_resident_streams: max } = spec.limits;
    if (idle === undefined && max === undefined) return undefined;
    const e = new StreamEviction(
      parts,
      { idleSteps: idle ?? 0, maxResident: max ?? Infinity, stepMs: spec.step_ms, path: spillPath(spec) },
      metrics,
    );
    parts.slots.eviction = e;
    return e;
  }

  /** Streams out of memory now. */
  get size(): number {
    return this.spill?.size ?? 0;
  }

  /** Bytes of the evicted streams' records. */
  get bytes(): number {
    return this.spill?.bytes ?? 0;
  }

  has(key: string): boolean {
    return this.spill?.has(key) === true;
  }

  /** Brings an evicted stream back into memory (before its next record); false for one not evicted. */
  recall(key: string): boolean {
    const bytes = this.spill?.take(key);
    if (bytes === undefined) return false;
    this.changed.delete(key); // resident again: its slot is marked changed by the restore
    restoreStreams(this.parts, streamRecordLayout(this.parts), { records: 1, bytes }, undefined, false);
    this.recalls++;
    this.metrics?.count('streams_recalled', 1);
    return true;
  }

  /**
   * Evicts the streams idle for idleSteps and, above maxResident, the longest idle ones; only between
   * batches (no step waiting to be scored). Returns how many left memory.
   */
  sweep(): number {
    const { runner, processor, slots } = this.parts;
    const arena = runner.arena;
    const { idleSteps, maxResident, stepMs } = this.options;
    if (idleSteps <= 0 && arena.size <= maxResident) return 0;
    let newest = -Infinity;
    for (const key of arena.keys()) {
      const t = slots.newest[arena.peek(key)];
      if (t > newest) newest = t;
    }
    const idleBefore = idleSteps > 0 ? newest - idleSteps * stepMs : -Infinity;
    const out: string[] = [];
    const keep: string[] = [];
    for (const key of arena.keys()) {
      if (!processor.holdsNothing(key)) continue;
      if (slots.newest[arena.peek(key)] <= idleBefore) out.push(key);
      else keep.push(key);
    }
    const over = arena.size - out.length - maxResident;
    if (over > 0) {
      // The longest idle first; ties by key, so that which streams leave does not depend on slots.
      const t = (k: string): number => {
        const v = slots.newest[arena.peek(k)];
        return v === v ? v : -Infinity; // no record yet (NaN): as idle as can be, and a consistent order
      };
      keep.sort((a, b) => {
        const ta = t(a);
        const tb = t(b);
        return ta < tb ? -1 : ta > tb ? 1 : a < b ? -1 : a > b ? 1 : 0;
      });
      for (let i = 0; i < over && i < keep.length; i++) out.push(keep[i]);
    }
    for (let i = 0; i < out.length; i += EVICT_GROUP) this.evict(out.slice(i, i + EVICT_GROUP));
    return out.length;
  }

  /**
   * Takes records of streams not in memory as evicted ones (a restore beyond maxResident): `bytes`
   * holds them back to back, keys[i]'s from starts[i]. They are in the checkpoint already (not changed).
   */
  adopt(keys: readonly string[], starts: readonly number[], bytes: Uint8Array): void {
    this.spill ??= new SpillFile(this.options.path);
    this.spill.append(keys, starts, bytes);
    this.evictions += keys.length;
    this.metrics?.count('streams_evicted', keys.length);
  }

  /** Calls f with every evicted stream's record (a base checkpoint holds them all). */
  forEachRecord(f: (key: string, record: Uint8Array) => void): void {
    this.spill?.forEachRecord(f);
  }

  /** An evicted stream's record, or undefined. */
  read(key: string): Uint8Array | undefined {
    return this.spill?.read(key);
  }

  /** Forgets every evicted stream (a restore starts over from the checkpoint). */
  clear(): void {
    this.spill?.clear();
    this.changed.clear();
  }

  close(): void {
    this.spill?.close();
    this.spill = undefined;
  }

  private evict(keys: string[]): void {
    const { runner, processor, alerts, slots, readouts } = this.parts;
    const arena = runner.arena;
    const w = new ChunkWriter();
    for (const key of keys) writeStreamRecord(this.parts, key, arena.peek(key), w);
    this.spill ??= new SpillFile(this.options.path);
    let k = 0;
    for (const c of w.finish()) {
      this.spill.append(keys.slice(k, k + c.records), c.starts as readonly number[], c.bytes);
      k += c.records;
    }
    for (const key of keys) {
      const slot = arena.peek(key);
      // Changed since the last capture: the next checkpoint must copy its record from the spill file.
      if (slots.allChanged || slots.changed[slot] === 1) this.changed.add(key);
      slots.forget(slot);
      readouts?.forget(slot);
      processor.evict(key);
      alerts.dropStream(key);
      arena.release(key);
    }
    this.evictions += keys.length;
    this.metrics?.count('streams_evicted', keys.length);
  }
}
