// Stream key -> arena slot, with a free list so evicted streams' slots are reused.

export class KeySlots {
  private readonly map = new Map<string, number>();
  private readonly free: number[] = [];
  private next = 0;

  get size(): number {
    return this.map.size;
  }

  /** The slot of `key`, or -1. */
  find(key: string): number {
    const s = this.map.get(key);
    return s === undefined ? -1 : s;
  }

  /**
   * The slot of `key`, created if new. A new slot comes back encoded as -slot-1 (so the hot path
   * needs no tuple): the caller initialises its state.
   */
  acquire(key: string): number {
    const s = this.map.get(key);
    if (s !== undefined) return s;
    const slot = this.free.length > 0 ? (this.free.pop() as number) : this.next++;
    this.map.set(key, slot);
    return -slot - 1;
  }

  release(key: string): number {
    const s = this.map.get(key);
    if (s === undefined) return -1;
    this.map.delete(key);
    this.free.push(s);
    return s;
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  /** Slots in use (no tuple per entry: idle flush walks every stream). */
  slotsInUse(): IterableIterator<number> {
    return this.map.values();
  }

  entries(): IterableIterator<[string, number]> {
    return this.map.entries();
  }
}
