import type { StreamKey } from '../core/types.js';
import { ChunkReader, ChunkWriter, type RecordChunk } from '../state/record-chunks.js';
import type { EngineStreamParts } from './engine-stream-snapshot.js';

// A stream's whole engine state as one binary record (binary checkpoints), the typed arrays copied
// as they are, no base64 or JSON per stream:
//
//   key (u16 length + UTF-8) | flags u8 | seen f64 | newest f64 | recurrent state (stateSize × f32)
//   [shape: u32 length + the stream pipeline's slot snapshot]   flags & SHAPE
//   [pending forecast: t, mean, lower, upper as f64]             flags & PENDING
//   [alerts: model version (u16 + UTF-8), u32 n, n × f64]        flags & ALERTS
//   [readout: u32 n, n × f64]                                    flags & READOUT
//
// What the records' fixed parts mean (state size, alert layout) is kept once, in the file's meta.

const SHAPE = 1;
const PENDING = 2;
const ALERTS = 4;
const READOUT = 8;

/** The settings that give the records their meaning: a restore checks them. */
export interface StreamRecordLayout {
  readonly stateSize: number;
  /** AlertEngine.snapshotLayout: a different one drops the streams' alert state (rules changed). */
  readonly alertLayout: string;
}

export function streamRecordLayout(parts: EngineStreamParts): StreamRecordLayout {
  return { stateSize: parts.runner.arena.stateSize, alertLayout: parts.alerts.snapshotLayout };
}

/**
 * Records of every stream, or only of those changed since the last capture; either way the change
 * marks are cleared (the caller must write a full set after a failed write).
 */
export function captureStreams(parts: EngineStreamParts, changedOnly: boolean): RecordChunk[] {
  const w = new ChunkWriter();
  const { arena } = parts.runner;
  const { slots } = parts;
  if (changedOnly && !slots.allChanged) {
    for (const slot of slots.changedSlots) {
      const key = arena.keyOf(slot);
      if (key !== undefined) writeStreamRecord(parts, key, slot, w);
    }
  } else {
    for (const key of arena.keys()) writeStreamRecord(parts, key, arena.peek(key), w);
  }
  // Evicted streams (engine-stream-eviction.ts): a base holds all, a delta those changed before they left.
  const ev = slots.eviction;
  if (ev !== undefined) {
    const copy = (rec: Uint8Array): void => {
      w.begin(rec.byteLength);
      w.raw(rec);
      w.end();
    };
    if (changedOnly) for (const key of ev.changed) copy(ev.read(key) as Uint8Array);
    else ev.forEachRecord((_key, rec) => copy(rec));
    ev.changed.clear();
  }
  slots.clearChanged();
  return w.finish();
}

/** Streams whose slot changed since the last capture (cheap: a counter, not a scan). */
export function changedStreamCount(parts: EngineStreamParts): number {
  const evicted = parts.slots.eviction?.changed.size ?? 0;
  return evicted + (parts.slots.allChanged ? parts.runner.arena.size : parts.slots.changedSlots.length);
}

/** One stream's record into `w` (checkpoints, and the spill file of evicted streams). */
export function writeStreamRecord(parts: EngineStreamParts, key: string, slot: number, w: ChunkWriter): void {
  const { runner, processor, alerts, slots, readouts } = parts;
  const S = runner.arena.stateSize;
  const shape = processor.snapshot(key);
  const alert = alerts.exportStreamValues(key);
  const readout = readouts?.exportSlot(slot);
  const pending = !Number.isNaN(slots.pending.t[slot]);
  let max = 2 + 3 * key.length + 1 + 16 + 4 * S + 32;
  if (shape !== undefined) max += 4 + shape.byteLength;
  if (alert !== null) max += 2 + 3 * alert.modelVersion.length + 4 + alert.values.byteLength;
  if (readout !== undefined) max += 4 + readout.byteLength;
  w.begin(max);
  w.str(key);
  w.u8((shape ? SHAPE : 0) | (pending ? PENDING : 0) | (alert ? ALERTS : 0) | (readout ? READOUT : 0));
  w.f64(slots.seen[slot]);
  w.f64(slots.newest[slot]);
  w.raw(runner.arena.data.subarray(slot * S, (slot + 1) * S));
  if (shape !== undefined) {
    w.u32(shape.byteLength);
    w.raw(shape);
  }
  if (pending) {
    const p = slots.pending;
    w.f64(p.t[slot]);
    w.f64(p.mean[slot]);
    w.f64(p.lower[slot]);
    w.f64(p.upper[slot]);
  }
  if (alert !== null) {
    w.str(alert.modelVersion);
    w.u32(alert.values.length);
    w.raw(alert.values);
  }
  if (readout !== undefined) {
    w.u32(readout.length);
    w.raw(readout);
  }
  w.end();
}

/** Makes room for `streams` streams in every per-stream structure at once (before a restore of that many). */
export function reserveStreams(parts: EngineStreamParts, streams: number): void {
  // Beyond max_resident_streams the restore sends streams to the spill file: no room needed for them.
  streams = Math.min(streams, parts.slots.eviction?.options.maxResident ?? Infinity);
  if (streams <= 0) return;
  parts.processor.arena.ensure(streams - 1);
  parts.alerts.reserveStreams(streams);
}

/**
 * Restores the streams of one chunk, skipping keys in `done` and adding the ones restored to it
 * (files are applied newest first, so a stream's newest record wins). Returns the keys whose alert
 * state did not fit (their alerting starts fresh). spillOver: streams beyond max_resident_streams
 * that hold nothing go to the spill file instead (a restore; not a stream coming back from it).
 */
export function restoreStreams(
  parts: EngineStreamParts,
  layout: StreamRecordLayout,
  chunk: RecordChunk,
  done: Set<string> | undefined,
  spillOver = true,
): string[] {
  const { runner, processor, alerts, slots, readouts } = parts;
  const S = runner.arena.stateSize;
  if (layout.stateSize !== S) throw new RangeError(`recurrent state has ${layout.stateSize} floats per stream, the model ${S}`);
  const alertsFit = layout.alertLayout === alerts.snapshotLayout;
  const dropped: string[] = [];
  const r = new ChunkReader(chunk.bytes);
  // With max_resident_streams, streams beyond it that hold nothing go to the spill file as they are
  // (not restored first: a restart of a million streams needs memory for the resident ones only).
  const ev = slots.eviction;
  const spill = spillOver && ev !== undefined && alertsFit ? new SpillBatch() : undefined;
  for (let i = 0; i < chunk.records; i++) {
    const start = r.pos;
    const key = r.str() as StreamKey;
    const flags = r.u8();
    const seen = r.f64();
    const newest = r.f64();
    const state = r.copy(4 * S);
    const shape = flags & SHAPE ? r.copy(r.u32()) : undefined;
    const pending = flags & PENDING ? ([r.f64(), r.f64(), r.f64(), r.f64()] as const) : null;
    const alert = flags & ALERTS ? { modelVersion: r.str(), values: r.float64s(r.u32()) } : undefined;
    const readout = flags & READOUT ? r.float64s(r.u32()) : undefined;
    if (done?.has(key)) continue;
    done?.add(key);
    if (spill !== undefined && shape !== undefined && runner.arena.size + spill.keys.length >= (ev?.options.maxResident ?? Infinity)) {
      if (runner.arena.peek(key) < 0 && processor.snapshotHoldsNothing(shape)) {
        spill.add(key, chunk.bytes.subarray(start, r.pos));
        continue;
      }
    }
    const slot = runner.arena.importState(key, state);
    slots.ensure(slot);
    if (shape !== undefined) processor.restore(key, shape);
    slots.seen[slot] = seen;
    slots.newest[slot] = newest;
    slots.pending.restore(slot, pending);
    if (readouts !== undefined) {
      if (readout === undefined) readouts.forget(slot);
      else readouts.importSlot(slot, readout);
    }
    if (alert !== undefined && !(alertsFit && alerts.importStreamValues(key, alert.modelVersion, alert.values))) dropped.push(key);
  }
  if (!r.done) throw new RangeError(`${chunk.bytes.byteLength - r.pos} bytes left after the chunk's ${chunk.records} records`);
  if (spill !== undefined && spill.keys.length > 0) ev?.adopt(spill.keys, spill.starts, spill.bytes());
  return dropped;
}

/** Records going to the spill file from one chunk, packed back to back. */
class SpillBatch {
  readonly keys: string[] = [];
  readonly starts: number[] = [];
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  add(key: string, record: Uint8Array): void {
    this.keys.push(key);
    this.starts.push(this.length);
    this.parts.push(record);
    this.length += record.byteLength;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.byteLength;
    }
    return out;
  }
}
