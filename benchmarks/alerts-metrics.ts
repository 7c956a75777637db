// Event-level evaluation: a window is detected when an alert opens inside it or within `tolerance`
// steps after its end; an alert opening outside every such span is a false alarm.
import type { AnomalyWindow } from './alerts-inject.js';

export class EventTally {
  detected = 0;
  missed = 0;
  falseAlarms = 0;
  readonly delays: number[] = [];

  add(windows: readonly AnomalyWindow[], onsets: readonly number[], tolerance: number): void {
    const hit = new Uint8Array(windows.length);
    for (const o of onsets) {
      const w = windows.findIndex((x) => o >= x.start && o <= x.end + tolerance);
      if (w < 0) this.falseAlarms++;
      else if (!hit[w]) {
        hit[w] = 1;
        this.delays.push(o - windows[w].start);
      }
    }
    for (const h of hit) h ? this.detected++ : this.missed++;
  }

  summary(): { precision: number; recall: number; f1: number; medianDelaySteps: number } {
    const precision = this.detected + this.falseAlarms > 0 ? this.detected / (this.detected + this.falseAlarms) : 0;
    const recall = this.detected + this.missed > 0 ? this.detected / (this.detected + this.missed) : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision: round(precision), recall: round(recall), f1: round(f1), medianDelaySteps: median(this.delays) };
  }
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
