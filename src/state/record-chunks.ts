// Little-endian binary records packed into chunks of a few MB (checkpoints): the writer fills one
// buffer at a time and starts a new one when the next record might not fit, so no single giant
// buffer or string is ever built and each chunk can be written to disk as it is.

const CHUNK_BYTES = 4 << 20;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A chunk of whole records. */
export interface RecordChunk {
  readonly records: number;
  readonly bytes: Uint8Array;
  /** Where each record starts in `bytes` (chunks from a ChunkWriter; absent in chunks read back). */
  readonly starts?: readonly number[];
}

export class ChunkWriter {
  readonly chunks: RecordChunk[] = [];
  private buf = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private count = 0;
  private starts: number[] = [];
  private recordStart = 0;
  /** Bytes in finished chunks and the current one. */
  get byteLength(): number {
    let n = this.pos;
    for (const c of this.chunks) n += c.bytes.byteLength;
    return n;
  }

  /** Starts a record of at most `maxBytes` bytes (the writes until end() must not exceed it). */
  begin(maxBytes: number): void {
    if (this.pos + maxBytes <= this.buf.byteLength) {
      this.recordStart = this.pos;
      return;
    }
    this.finishChunk();
    this.recordStart = 0;
    this.buf = new Uint8Array(Math.max(CHUNK_BYTES, maxBytes));
    this.view = new DataView(this.buf.buffer);
  }

  end(): void {
    this.starts.push(this.recordStart);
    this.count++;
  }

  /** The finished chunks (the last one trimmed); the writer is empty afterwards. */
  finish(): RecordChunk[] {
    this.finishChunk();
    this.buf = new Uint8Array(0);
    return this.chunks;
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** A string as u16 byte length + UTF-8 (at most 3 bytes per UTF-16 unit: reserve 2 + 3 × length). */
  str(s: string): void {
    const { written } = utf8.encodeInto(s, this.buf.subarray(this.pos + 2));
    if (written > 0xffff) throw new RangeError(`string of ${written} bytes does not fit a record`);
    this.view.setUint16(this.pos, written, true);
    this.pos += 2 + written;
  }

  /** The bytes of a typed array (its length is the reader's to know). */
  raw(a: ArrayBufferView): void {
    this.buf.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), this.pos);
    this.pos += a.byteLength;
  }

  private finishChunk(): void {
    if (this.count === 0) return;
    // A view, not a copy: the next chunk gets a new buffer (the last one's unused tail is the only slack).
    this.chunks.push({ records: this.count, bytes: this.buf.subarray(0, this.pos), starts: this.starts });
    this.pos = 0;
    this.count = 0;
    this.starts = [];
  }
}

/** Reads records back; every read is bounds-checked (a short chunk throws RangeError). */
export class ChunkReader {
  private readonly view: DataView;
  pos = 0;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.bytes.byteLength;
  }

  u8(): number {
    return this.view.getUint8(this.pos++);
  }

  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  str(): string {
    const n = this.view.getUint16(this.pos, true);
    const s = fromUtf8.decode(this.take(2 + n).subarray(2));
    return s;
  }

  /** `n` bytes, copied into their own buffer (so typed-array views of them are aligned). */
  copy(n: number): Uint8Array {
    return new Uint8Array(this.take(n)); // a copy (Buffer.slice would be a view)
  }

  float64s(n: number): Float64Array {
    return new Float64Array(this.copy(n * 8).buffer);
  }

  private take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.byteLength)
      throw new RangeError(`record runs past the end of its chunk (${n} bytes at ${this.pos} of ${this.bytes.byteLength})`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
