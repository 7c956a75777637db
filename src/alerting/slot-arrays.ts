// Per-stream state lives in flat typed arrays indexed by slot; they grow by doubling, which is the
// only allocation, amortised over the streams that arrive.

export function grown<T extends Float64Array | Int32Array | Uint8Array>(arr: T, need: number, fill = 0): T {
  if (arr.length >= need) return arr;
  let len = Math.max(arr.length, 16);
  while (len < need) len *= 2;
  const next = new (arr.constructor as new (n: number) => T)(len);
  if (fill !== 0) next.fill(fill);
  next.set(arr);
  return next;
}

/** Maps stream keys to dense slots 0, 1, 2, … in order of arrival; released slots are reused first. */
export class SlotIndex {
  private readonly slots = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly free: number[] = [];

  slotOf(key: string): number {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.free.pop();
      if (slot === undefined) {
        slot = this.keys.length;
        this.keys.push(key);
      } else this.keys[slot] = key;
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Forgets a key; its slot goes to the next new key. Returns the slot, or -1 for an unknown key. */
  release(key: string): number {
    const slot = this.slots.get(key);
    if (slot === undefined) return -1;
    this.slots.delete(key);
    this.keys[slot] = '';
    this.free.push(slot);
    return slot;
  }

  /** The slot of a known key, or -1. */
  find(key: string): number {
    return this.slots.get(key) ?? -1;
  }

  keyOf(slot: number): string {
    return this.keys[slot];
  }

  /** Slots in use or released: the arrays must hold this many. */
  get size(): number {
    return this.keys.length;
  }
}

type SlotArray = Float64Array | Int32Array | Uint8Array;

/** A component whose per-stream state is a fixed number of entries in each of some flat arrays. */
export interface SlotColumns {
  /** Makes room for `slots` streams. */
  reserve(slots: number): void;
  /** The current arrays (they are replaced on growth) and the entries each slot owns in them. */
  columns(): ReadonlyArray<readonly [SlotArray, number]>;
}

export function slotWidth(c: SlotColumns): number {
  let w = 0;
  for (const [, n] of c.columns()) w += n;
  return w;
}

/**
 * Appends one slot's entries (Int32 and Uint8 values are exact in a double). Reserves first: a slot the
 * component has not grown to yet holds its initial values (NaN, -Infinity, log z99, …), not zeros, and a
 * snapshot of zeros would restore a state the stream never had.
 */
export function saveSlot(c: SlotColumns, slot: number, out: number[]): void {
  c.reserve(slot + 1);
  for (const [arr, n] of c.columns()) for (let i = 0; i < n; i++) out.push(arr[slot * n + i]);
}

/** saveSlot into `out` at `off` (binary checkpoints: float64 columns copied whole); returns the offset after them. */
export function saveSlotInto(c: SlotColumns, slot: number, out: Float64Array, off: number): number {
  c.reserve(slot + 1);
  for (const [arr, n] of c.columns()) {
    // Short columns element by element: a subarray per column costs more than the copy (checkpoints of 1M streams).
    if (n > 32 && arr instanceof Float64Array) out.set(arr.subarray(slot * n, slot * n + n), off);
    else for (let i = 0; i < n; i++) out[off + i] = arr[slot * n + i];
    off += n;
  }
  return off;
}

/** Reads one slot's entries from src at off; returns the offset after them. */
export function loadSlot(c: SlotColumns, slot: number, src: Float64Array, off: number): number {
  c.reserve(slot + 1);
  for (const [arr, n] of c.columns()) {
    if (n > 32 && arr instanceof Float64Array) {
      arr.set(src.subarray(off, off + n), slot * n);
      off += n;
    } else for (let i = 0; i < n; i++) arr[slot * n + i] = src[off++];
  }
  return off;
}
