import { KeySlots } from '../state/key-slots.js';
import { SlotArena } from '../state/slot-arena.js';
import type { Stage } from './stage.js';

// Gives a set of stages one arena and one key -> slot map: used by the single-verb RxJS operators,
// each of which runs one stage on its own.

export class StageHost {
  readonly arena: SlotArena;
  private readonly slots = new KeySlots();
  private readonly keys: string[] = [];

  constructor(private readonly stages: readonly Stage[]) {
    this.arena = new SlotArena(
      stages.reduce((a, s) => a + s.size64, 0),
      stages.reduce((a, s) => a + s.size16, 0),
    );
    let o64 = 0;
    let o16 = 0;
    for (const s of stages) {
      s.attach(this.arena, o64, o16);
      o64 += s.size64;
      o16 += s.size16;
    }
  }

  slotFor(key: string): number {
    const code = this.slots.acquire(key);
    if (code >= 0) return code;
    const slot = -code - 1;
    this.arena.ensure(slot);
    this.keys[slot] = key;
    for (const s of this.stages) s.init(slot);
    return slot;
  }

  keyOf(slot: number): string {
    return this.keys[slot];
  }

  allSlots(): number[] {
    return [...this.slots.entries()].map(([, s]) => s);
  }
}
