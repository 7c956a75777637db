import { TidecastError } from '../core/errors.js';
import type { StreamKey } from '../core/types.js';

// Per-stream recurrent state kept outside the model: one row of `stateSize` floats per slot in a
// flat Float32Array. Slots of released streams are reused; capacity doubles on demand (the only
// allocation, amortised). New and reset slots start from the initial state (zeros by default).

export class StateArena {
  readonly stateSize: number;
  /** capacity × stateSize; replaced when the arena grows, so read it after slotOf, not before. */
  data: Float32Array;
  private capacityRows: number;
  private readonly initial: Float32Array;
  private readonly slots = new Map<StreamKey, number>();
  private keysBySlot: (StreamKey | undefined)[];
  private free: Int32Array;
  private freeCount = 0;
  private used = 0;

  constructor(stateSize: number, initialCapacity = 64, initialState?: Float32Array) {
    if (!Number.isInteger(stateSize) || stateSize <= 0) throw new RangeError(`stateSize must be a positive integer, got ${stateSize}`);
    this.stateSize = stateSize;
    this.capacityRows = Math.max(1, initialCapacity);
    this.data = new Float32Array(this.capacityRows * stateSize);
    this.initial = new Float32Array(stateSize);
    if (initialState !== undefined) {
      if (initialState.length !== stateSize) throw new RangeError(`initial state has ${initialState.length} floats, expected ${stateSize}`);
      this.initial.set(initialState);
    }
    this.keysBySlot = new Array<StreamKey | undefined>(this.capacityRows);
    this.free = new Int32Array(this.capacityRows);
  }

  get size(): number {
    return this.slots.size;
  }
  get capacity(): number {
    return this.capacityRows;
  }

  /** The stream's slot, allocating (from the initial state) on first sight. */
  slotOf(key: StreamKey): number {
    const known = this.slots.get(key);
    if (known !== undefined) return known;
    const slot = this.freeCount > 0 ? this.free[--this.freeCount] : this.nextFreshSlot();
    this.slots.set(key, slot);
    this.keysBySlot[slot] = key;
    this.reset(slot);
    return slot;
  }

  /** The slot or -1, without allocating. */
  peek(key: StreamKey): number {
    return this.slots.get(key) ?? -1;
  }

  keyOf(slot: number): StreamKey | undefined {
    return this.keysBySlot[slot];
  }

  keys(): IterableIterator<StreamKey> {
    return this.slots.keys();
  }

  /** Forgets the stream; its slot is reused by the next new stream. */
  release(key: StreamKey): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    this.keysBySlot[slot] = undefined;
    this.free[this.freeCount++] = slot;
    return true;
  }

  reset(slot: number): void {
    this.data.set(this.initial, slot * this.stateSize);
  }

  /** into[i·stateSize ..] = row of slots[i], for i < count. */
  gather(slots: Int32Array, count: number, into: Float32Array): void {
    const s = this.stateSize;
    const data = this.data;
    for (let i = 0; i < count; i++) {
      const src = slots[i] * s;
      const dst = i * s;
      for (let j = 0; j < s; j++) into[dst + j] = data[src + j];
    }
  }

  /** Row of slots[i] = from[i·stateSize ..], for i < count. */
  scatter(slots: Int32Array, count: number, from: Float32Array): void {
    const s = this.stateSize;
    const data = this.data;
    for (let i = 0; i < count; i++) {
      const dst = slots[i] * s;
      const src = i * s;
      for (let j = 0; j < s; j++) data[dst + j] = from[src + j];
    }
  }

  /** One stream's state as little-endian float32 bytes (for checkpoints), or undefined if unknown. */
  exportState(key: StreamKey): Uint8Array | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const row = this.data.slice(slot * this.stateSize, (slot + 1) * this.stateSize);
    return new Uint8Array(row.buffer);
  }

  /** Restores one stream's state from exportState bytes; allocates the slot if needed. */
  importState(key: StreamKey, bytes: Uint8Array): number {
    if (bytes.byteLength !== this.stateSize * 4) {
      throw new TidecastError(
        `State of ${key} has ${bytes.byteLength} bytes, expected ${this.stateSize * 4} (${this.stateSize} float32).`,
        'state_corrupt',
        false,
      );
    }
    const row = new Float32Array(this.stateSize);
    new Uint8Array(row.buffer).set(bytes);
    for (let j = 0; j < row.length; j++) {
      if (!Number.isFinite(row[j])) throw new TidecastError(`State of ${key} holds a non-finite value at ${j}.`, 'state_corrupt', false);
    }
    const slot = this.slotOf(key);
    this.data.set(row, slot * this.stateSize);
    return slot;
  }

  private nextFreshSlot(): number {
    if (this.used === this.capacityRows) this.grow();
    return this.used++;
  }

  private grow(): void {
    const rows = this.capacityRows * 2;
    const data = new Float32Array(rows * this.stateSize);
    data.set(this.data);
    this.data = data;
    const free = new Int32Array(rows);
    free.set(this.free.subarray(0, this.freeCount));
    this.free = free;
    this.keysBySlot.length = rows;
    this.capacityRows = rows;
  }
}
