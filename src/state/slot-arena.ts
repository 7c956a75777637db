// Per-stream state as two flat typed arrays with a fixed stride per stream ("slot"): one Float64Array
// for numbers and one Uint16Array for small indices (rolling min/max deques). One stream's state is
// contiguous, so a step touches one or two cache lines instead of an object graph.

export class SlotArena {
  f64: Float64Array;
  u16: Uint16Array;
  capacity: number;

  constructor(
    readonly stride64: number,
    readonly stride16: number,
    initialCapacity = 64,
  ) {
    this.capacity = Math.max(1, initialCapacity);
    this.f64 = new Float64Array(this.capacity * stride64);
    this.u16 = new Uint16Array(this.capacity * stride16);
  }

  /** Grows (doubling) so that `slot` fits; existing contents are kept. */
  ensure(slot: number): void {
    if (slot < this.capacity) return;
    let cap = this.capacity;
    while (cap <= slot) cap *= 2;
    const f = new Float64Array(cap * this.stride64);
    f.set(this.f64);
    const u = new Uint16Array(cap * this.stride16);
    u.set(this.u16);
    this.f64 = f;
    this.u16 = u;
    this.capacity = cap;
  }

  /** Bytes of state one stream costs. */
  get bytesPerSlot(): number {
    return this.stride64 * 8 + this.stride16 * 2;
  }
}
