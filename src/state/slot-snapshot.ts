import { TidecastError } from '../core/errors.js';
import type { SlotArena } from './slot-arena.js';

// Binary checkpoint of one stream's slot: a 16-byte header, the Float64 part, then the Uint16 part.
// The layout hash ties the bytes to the options that shaped the arena, so restoring into a pipeline
// with different fields, windows or lags is refused instead of misread.

const MAGIC = 0x54435053; // "TCPS"
const VERSION = 1;
const HEADER_BYTES = 16;

export function snapshotSlot(arena: SlotArena, slot: number, layoutHash: number): Uint8Array {
  const n64 = arena.stride64;
  const n16 = arena.stride16;
  const bytes = new Uint8Array(HEADER_BYTES + n64 * 8 + n16 * 2);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, layoutHash >>> 0, true);
  view.setUint32(12, n64, true);
  new Float64Array(bytes.buffer, HEADER_BYTES, n64).set(arena.f64.subarray(slot * n64, (slot + 1) * n64));
  new Uint16Array(bytes.buffer, HEADER_BYTES + n64 * 8, n16).set(arena.u16.subarray(slot * n16, (slot + 1) * n16));
  return bytes;
}

export function restoreSlot(arena: SlotArena, slot: number, layoutHash: number, bytes: Uint8Array): void {
  const n64 = arena.stride64;
  const n16 = arena.stride16;
  const expected = HEADER_BYTES + n64 * 8 + n16 * 2;
  if (bytes.byteLength !== expected) throw corrupt(`expected ${expected} bytes, got ${bytes.byteLength}`);
  // Copy so that the typed-array views below are aligned whatever the caller's offset was.
  const copy = new Uint8Array(bytes);
  const view = new DataView(copy.buffer);
  if (view.getUint32(0, true) !== MAGIC) throw corrupt('bad magic number');
  if (view.getUint16(4, true) !== VERSION) throw corrupt(`unsupported version ${view.getUint16(4, true)}`);
  if (view.getUint32(8, true) !== layoutHash >>> 0) throw corrupt('layout hash differs: the pipeline options changed');
  if (view.getUint32(12, true) !== n64) throw corrupt('Float64 part has a different length');
  arena.ensure(slot);
  arena.f64.set(new Float64Array(copy.buffer, HEADER_BYTES, n64), slot * n64);
  arena.u16.set(new Uint16Array(copy.buffer, HEADER_BYTES + n64 * 8, n16), slot * n16);
}

/** Entry i of the Float64 part of snapshotSlot's bytes (read in place, without restoring the slot). */
export function snapshotFloat64(bytes: Uint8Array, i: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(HEADER_BYTES + 8 * i, true);
}

/** FNV-1a of a string: a stable hash of the resolved layout. */
export function layoutHashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function corrupt(detail: string): TidecastError {
  return new TidecastError(`Pipeline state snapshot rejected: ${detail}.`, 'state_corrupt', false);
}
