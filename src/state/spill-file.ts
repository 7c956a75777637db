import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

// Evicted streams' binary records (engine-stream-records.ts) in one scratch file, so that idle streams
// leave RAM and come back on their next record. Appended to, read back with one positioned read; the
// index in RAM is a key -> entry map plus two typed arrays (offset, length). Space of records taken
// back is reclaimed by rewriting the live records once it outweighs them. The file is this process's
// scratch (truncated when opened): what must survive a restart goes into checkpoints, which copy
// the records they need from here. Synchronous: the engine steps synchronously, and a record is a
// few KB read from the page cache.

const COMPACT_MIN_BYTES = 64 << 20;
const READ_WINDOW = 4 << 20;

export class SpillFile {
  private fd: number;
  private readonly index = new Map<string, number>();
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private readonly freeEntries: number[] = [];
  private entries = 0;
  private end = 0;
  private liveBytes = 0;

  /** compactMinBytes: dead bytes below which the file is never rewritten. */
  constructor(
    readonly path: string,
    private readonly compactMinBytes = COMPACT_MIN_BYTES,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w+');
  }

  /** Streams held here. */
  get size(): number {
    return this.index.size;
  }

  /** Bytes of live records (what the streams held here would cost a checkpoint). */
  get bytes(): number {
    return this.liveBytes;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  keys(): IterableIterator<string> {
    return this.index.keys();
  }

  /**
   * Appends records: `bytes` holds them back to back, `keys[i]`'s record starting at `starts[i]` (and
   * ending where the next starts, or at the end). A key held already is replaced.
   */
  append(keys: readonly string[], starts: readonly number[], bytes: Uint8Array): void {
    writeAll(this.fd, bytes, this.end);
    for (let i = 0; i < keys.length; i++) {
      const len = (i + 1 < keys.length ? starts[i + 1] : bytes.byteLength) - starts[i];
      this.forget(keys[i]);
      const e = this.freeEntries.length > 0 ? (this.freeEntries.pop() as number) : this.entries++;
      if (e >= this.offsets.length) this.grow();
      this.offsets[e] = this.end + starts[i];
      this.lengths[e] = len;
      this.index.set(keys[i], e);
      this.liveBytes += len;
    }
    this.end += bytes.byteLength;
  }

  /** A stream's record, or undefined; it stays held (take() hands it back and forgets it). */
  read(key: string): Uint8Array | undefined {
    const e = this.index.get(key);
    if (e === undefined) return undefined;
    const out = new Uint8Array(this.lengths[e]);
    readAll(this.fd, out, this.offsets[e]);
    return out;
  }

  /** A stream's record, forgotten here (the stream is resident again); undefined for one not held. */
  take(key: string): Uint8Array | undefined {
    const out = this.read(key);
    if (out !== undefined) {
      this.forget(key);
      this.compactIfSparse();
    }
    return out;
  }

  /** Calls f with every record held, in file order (checkpoints copy them as they are; `record` is valid during the call only). */
  forEachRecord(f: (key: string, record: Uint8Array) => void): void {
    const keyOf: string[] = [];
    for (const [key, e] of this.index) keyOf[e] = key;
    this.forEachEntry((e, rec) => f(keyOf[e], rec));
  }

  /** Bytes in the file, dead ones included. */
  get fileBytes(): number {
    return this.end;
  }

  /** Forgets every record (e.g. before a restore) and truncates the file. */
  clear(): void {
    closeSync(this.fd);
    this.fd = openSync(this.path, 'w+');
    this.index.clear();
    this.freeEntries.length = 0;
    this.entries = this.end = this.liveBytes = 0;
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.path, { force: true });
  }

  private forget(key: string): void {
    const e = this.index.get(key);
    if (e === undefined) return;
    this.index.delete(key);
    this.liveBytes -= this.lengths[e];
    this.freeEntries.push(e);
  }

  /** Rewrites the live records into a new file once dead space outweighs them (and is worth it). */
  private compactIfSparse(): void {
    const dead = this.end - this.liveBytes;
    if (dead < this.compactMinBytes || dead < this.liveBytes) return;
    const tmp = `${this.path}.compact`;
    const out = openSync(tmp, 'w+');
    let pos = 0;
    this.forEachEntry((e, rec) => {
      writeAll(out, rec, pos);
      this.offsets[e] = pos;
      pos += rec.byteLength;
    });
    closeSync(this.fd);
    renameSync(tmp, this.path);
    this.fd = out;
    this.end = pos;
  }

  /** Every live record in file order, read in windows of a few MB (one read per record is a syscall each). */
  private forEachEntry(f: (entry: number, record: Uint8Array) => void): void {
    const order = [...this.index.values()].sort((a, b) => this.offsets[a] - this.offsets[b]);
    let buf = new Uint8Array(0);
    let from = 0;
    let to = 0;
    for (const e of order) {
      const off = this.offsets[e];
      const len = this.lengths[e];
      if (off < from || off + len > to) {
        const n = Math.min(Math.max(len, READ_WINDOW), this.end - off);
        if (buf.byteLength < n) buf = new Uint8Array(Math.max(n, READ_WINDOW));
        readAll(this.fd, buf.subarray(0, n), off);
        from = off;
        to = off + n;
      }
      f(e, buf.subarray(off - from, off - from + len));
    }
  }

  private grow(): void {
    const o = new Float64Array(this.offsets.length * 2);
    o.set(this.offsets);
    const l = new Uint32Array(this.lengths.length * 2);
    l.set(this.lengths);
    this.offsets = o;
    this.lengths = l;
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off, bytes.byteLength - off, position + off);
}

function readAll(fd: number, into: Uint8Array, position: number): void {
  for (let off = 0; off < into.byteLength; ) {
    const n = readSync(fd, into, off, into.byteLength - off, position + off);
    if (n === 0) throw new RangeError(`spill file ended early at ${position + off}`);
    off += n;
  }
}
