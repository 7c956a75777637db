// Assembles the grid steps of several streams into rows (one value per stream and grid time) for
// the multivariate online head. Each stream's steps arrive in time order, but streams interleave:
// a row is complete when every stream has given its value, or closed with NaN for the streams that
// have already moved past it (a gap the stream pipeline did not fill). Rows come out in time order,
// one per grid step, so a missing grid time becomes a row of NaN. Allocates nothing per step.

/** Rows held open at most while streams catch up; older ones are closed with NaN. */
const WINDOW = 64;

export type RowSink = (t: number, values: Float64Array, imputed: Uint8Array) => void;

export interface RowAssemblerState {
  readonly next: number;
  readonly values: Float64Array;
  readonly imputed: Uint8Array;
  readonly given: Uint8Array;
  readonly filled: Int32Array;
  readonly newest: Float64Array;
  readonly late: number;
}

export class RowAssembler {
  /** Steps dropped because their row was already closed. */
  late = 0;
  /** Grid time of the oldest open row (NaN before the first step). */
  private next = Number.NaN;
  private readonly values: Float64Array;
  private readonly imputed: Uint8Array;
  /** Per open row and stream: 1 once the stream gave its value. */
  private readonly given: Uint8Array;
  private readonly filled: Int32Array;
  /** Per stream: the newest grid time it has given. */
  private readonly newest: Float64Array;
  private readonly rowValues: Float64Array;
  private readonly rowImputed: Uint8Array;

  constructor(
    readonly columns: number,
    readonly stepMs: number,
    private readonly sink: RowSink,
  ) {
    this.values = new Float64Array(WINDOW * columns).fill(NaN);
    this.imputed = new Uint8Array(WINDOW * columns);
    this.given = new Uint8Array(WINDOW * columns);
    this.filled = new Int32Array(WINDOW);
    this.newest = new Float64Array(columns).fill(NaN);
    this.rowValues = new Float64Array(columns);
    this.rowImputed = new Uint8Array(columns);
  }

  /** One stream's value at grid time t. */
  push(column: number, t: number, value: number, imputed: boolean): void {
    if (Number.isNaN(this.next)) this.next = t;
    let k = Math.round((t - this.next) / this.stepMs);
    if (k < 0) {
      this.late++;
      return;
    }
    for (; k >= WINDOW; k--) this.close();
    const slot = this.slotOf(k);
    const at = slot * this.columns + column;
    if (this.given[at] === 0) this.filled[slot]++;
    this.given[at] = 1;
    this.values[at] = value;
    this.imputed[at] = imputed ? 1 : 0;
    if (!(this.newest[column] >= t)) this.newest[column] = t;
    this.drain();
  }

  /** Closes every open row up to the newest value given (end of a replay). */
  flush(): void {
    if (Number.isNaN(this.next)) return;
    let last = -1;
    for (let k = 0; k < WINDOW; k++) if (this.filled[this.slotOf(k)] > 0) last = k;
    for (let k = 0; k <= last; k++) this.close();
  }

  snapshot(): RowAssemblerState {
    return {
      next: this.next,
      values: this.values.slice(),
      imputed: this.imputed.slice(),
      given: this.given.slice(),
      filled: this.filled.slice(),
      newest: this.newest.slice(),
      late: this.late,
    };
  }

  restore(s: RowAssemblerState): void {
    this.next = s.next;
    this.values.set(s.values);
    this.imputed.set(s.imputed);
    this.given.set(s.given);
    this.filled.set(s.filled);
    this.newest.set(s.newest);
    this.late = s.late;
  }

  private slotOf(k: number): number {
    // Ring position of the row k steps after `next`.
    const base = Math.round(this.next / this.stepMs);
    return (((base + k) % WINDOW) + WINDOW) % WINDOW;
  }

  /** Closes rows while the oldest is complete, or every stream missing from it has moved past it. */
  private drain(): void {
    for (;;) {
      const slot = this.slotOf(0);
      if (this.filled[slot] === this.columns) {
        this.close();
        continue;
      }
      // Every stream gave its value or has moved past: the row can only stay incomplete.
      let passed = true;
      for (let j = 0; j < this.columns && passed; j++) passed = this.given[slot * this.columns + j] === 1 || this.newest[j] > this.next;
      if (!passed) return;
      this.close();
    }
  }

  /** Hands the oldest open row to the sink and opens the next grid time. */
  private close(): void {
    const slot = this.slotOf(0);
    const c = this.columns;
    for (let j = 0; j < c; j++) {
      this.rowValues[j] = this.values[slot * c + j];
      this.rowImputed[j] = this.imputed[slot * c + j];
      this.values[slot * c + j] = NaN;
      this.imputed[slot * c + j] = 0;
      this.given[slot * c + j] = 0;
    }
    this.filled[slot] = 0;
    const t = this.next;
    this.next = t + this.stepMs;
    this.sink(t, this.rowValues, this.rowImputed);
  }
}
