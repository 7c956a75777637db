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

/** Maps stream keys to dense slots 0, 1, 2, … in order of arrival. */
export class SlotIndex {
  private readonly slots = new Map<string, number>();
  private readonly keys: string[] = [];

  slotOf(key: string): number {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.keys.length;
      this.slots.set(key, slot);
      this.keys.push(key);
    }
    return slot;
  }

  /** The slot of a known key, or -1. */
  find(key: string): number {
    return this.slots.get(key) ?? -1;
  }

  keyOf(slot: number): string {
    return this.keys[slot];
  }

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

/** Appends one slot's entries (Int32 and Uint8 values are exact in a double). */
export function saveSlot(c: SlotColumns, slot: number, out: number[]): void {
  for (const [arr, n] of c.columns()) for (let i = 0; i < n; i++) out.push(slot * n + i < arr.length ? arr[slot * n + i] : 0);
}

/** Reads one slot's entries from src at off; returns the offset after them. */
export function loadSlot(c: SlotColumns, slot: number, src: Float64Array, off: number): number {
  c.reserve(slot + 1);
  for (const [arr, n] of c.columns()) for (let i = 0; i < n; i++) arr[slot * n + i] = src[off++];
  return off;
}
