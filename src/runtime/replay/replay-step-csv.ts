import type { StepRow } from '../../engine/engine-listener.js';

// The CSV line of one replay step row (REPLAY_HEADER's columns). Kept apart from replay.ts because
// it runs once per step: the engine emits every stream's step for one grid time in a row and sees
// the same few hundred keys again and again, so the timestamp and the quoted key cells are cached
// rather than rebuilt per row (toISOString and the quoting regex were most of the line's cost).
// The numbers are String(x) exactly as before: the output stays byte-identical.

export class StepRowCsv {
  private t = NaN;
  private time = '';
  private readonly cells = new Map<string, string>();

  line(r: StepRow): string {
    return `${this.timeOf(r.t)},${this.keyCell(r.key)},${r.actual},${r.forecast},${r.lower},${r.upper},${Number.isNaN(r.score) ? '' : r.score},${r.imputed ? 1 : 0},${num(r.surprise)},${num(r.likelihood)},${num(r.baseline)}`;
  }

  /** ISO time of t, rebuilt only when t changes (rows come grouped by grid time). */
  private timeOf(t: number): string {
    if (t !== this.t) {
      this.t = t;
      this.time = new Date(t).toISOString();
    }
    return this.time;
  }

  private keyCell(key: string): string {
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = csvCell(key);
      this.cells.set(key, cell);
    }
    return cell;
  }
}

export function num(x: number): string {
  return Number.isFinite(x) ? String(x) : '';
}

export function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
