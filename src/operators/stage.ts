import type { SlotArena } from '../state/slot-arena.js';

// A stage owns a fixed block of every slot of a shared arena: `size64` numbers and `size16` indices
// starting at the offsets the composer gives it. Stages are plain classes with no per-event allocation.

export abstract class Stage {
  abstract readonly size64: number;
  abstract readonly size16: number;
  protected arena!: SlotArena;
  protected off64 = 0;
  protected off16 = 0;

  attach(arena: SlotArena, off64: number, off16: number): void {
    this.arena = arena;
    this.off64 = off64;
    this.off16 = off16;
  }

  protected base64(slot: number): number {
    return slot * this.arena.stride64 + this.off64;
  }

  protected base16(slot: number): number {
    return slot * this.arena.stride16 + this.off16;
  }

  /** Puts the slot into the state of a stream never seen. */
  abstract init(slot: number): void;
}
