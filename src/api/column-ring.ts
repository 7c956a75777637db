// A fixed-capacity ring of rows with a few numeric columns, in flat Float64Arrays: pushing a row
// allocates nothing, and the oldest row is overwritten once full. Reading copies out, oldest first.

export class ColumnRing {
  readonly capacity: number;
  private readonly cols: Float64Array[];
  private head = 0;
  private count = 0;

  constructor(columns: number, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`Ring capacity must be a positive integer, got ${capacity}.`);
    this.capacity = capacity;
    this.cols = Array.from({ length: columns }, () => new Float64Array(capacity));
  }

  get size(): number {
    return this.count;
  }

  /** Appends one row; values beyond the column count are ignored, missing ones are NaN. */
  push(a: number, b = NaN, c = NaN, d = NaN): void {
    const i = this.head;
    const cols = this.cols;
    cols[0][i] = a;
    if (cols.length > 1) cols[1][i] = b;
    if (cols.length > 2) cols[2][i] = c;
    if (cols.length > 3) cols[3][i] = d;
    this.head = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Overwrites the newest row's column `col` (e.g. a late correction); no-op when empty. */
  setLast(col: number, value: number): void {
    if (this.count === 0) return;
    this.cols[col][(this.head - 1 + this.capacity) % this.capacity] = value;
  }

  /** Column `col` of the newest row, or NaN when empty. */
  last(col: number): number {
    if (this.count === 0) return NaN;
    return this.cols[col][(this.head - 1 + this.capacity) % this.capacity];
  }

  /** The newest `limit` rows (all by default) of column `col`, oldest first, as a plain array (JSON-ready). */
  column(col: number, limit = this.count): number[] {
    const n = Math.max(0, Math.min(limit, this.count));
    const out = new Array<number>(n);
    const start = (this.head - n + this.capacity) % this.capacity;
    const src = this.cols[col];
    for (let k = 0; k < n; k++) out[k] = src[(start + k) % this.capacity];
    return out;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
