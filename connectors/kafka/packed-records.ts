import type { KafkaOutRecord } from './records.js';
import type { OutMessage } from './sink.js';

// Output records packed into two transferable buffers (UTF-8 bytes and an index of int32s), so that a
// batch crosses to the producer thread without structured-cloning one object per record. The producer
// thread hands kafkajs views into the bytes: nothing is decoded again there.

/** Per record: topic index, partition (-1: by key), key start, key length (-1: null), value start, value length, first header, header count. */
const RECORD_INTS = 8;
/** Per header: name index, value start, value length. */
const HEADER_INTS = 3;

export interface PackedRecords {
  readonly count: number;
  readonly topics: readonly string[];
  readonly headerNames: readonly string[];
  readonly index: Int32Array;
  readonly headerIndex: Int32Array;
  readonly bytes: Uint8Array;
}

class ByteWriter {
  buf: Buffer;
  at = 0;

  constructor(capacity: number) {
    // Unpooled, so the ArrayBuffer belongs to this buffer alone and can be transferred.
    this.buf = Buffer.allocUnsafeSlow(Math.max(1_024, capacity));
  }

  /** Writes `s` as UTF-8; returns its start. */
  write(s: string): number {
    const need = this.at + 3 * s.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.buf.length));
      this.buf.copy(grown, 0, 0, this.at);
      this.buf = grown;
    }
    const start = this.at;
    this.at += this.buf.write(s, start, 'utf8');
    return start;
  }
}

export function packRecords(records: readonly KafkaOutRecord[]): PackedRecords {
  return packAscii(records) ?? packEach(records);
}

/**
 * The common case, every key, value and header value ASCII: one UTF-8 write of all of them joined (a
 * write per string costs more than the copying), offsets from the string lengths. Undefined when some
 * text is not ASCII (its byte length then differs from its length).
 */
function packAscii(records: readonly KafkaOutRecord[]): PackedRecords | undefined {
  const topics: string[] = [];
  const headerNames: string[] = [];
  const index = new Int32Array(records.length * RECORD_INTS);
  let headerIndex = new Int32Array(records.length * HEADER_INTS);
  let headers = 0;
  let text = '';
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const o = i * RECORD_INTS;
    index[o] = indexOf(topics, r.topic);
    index[o + 1] = r.partition ?? -1;
    index[o + 2] = at;
    index[o + 3] = r.key === null ? -1 : r.key.length;
    if (r.key !== null) {
      text += r.key;
      at += r.key.length;
    }
    index[o + 4] = at;
    index[o + 5] = r.value.length;
    text += r.value;
    at += r.value.length;
    index[o + 6] = headers;
    let n = 0;
    if (r.headers !== undefined) {
      for (const name in r.headers) {
        const v = r.headers[name];
        if ((headers + 1) * HEADER_INTS > headerIndex.length) headerIndex = grownInts(headerIndex);
        const h = headers * HEADER_INTS;
        headerIndex[h] = indexOf(headerNames, name);
        headerIndex[h + 1] = at;
        headerIndex[h + 2] = v.length;
        text += v;
        at += v.length;
        headers++;
        n++;
      }
    }
    index[o + 7] = n;
  }
  if (Buffer.byteLength(text, 'utf8') !== at) return undefined;
  // Unpooled, so the ArrayBuffer belongs to this buffer alone and can be transferred.
  const bytes = Buffer.allocUnsafeSlow(at);
  bytes.write(text, 0, 'utf8');
  return { count: records.length, topics, headerNames, index, headerIndex, bytes: new Uint8Array(bytes.buffer, 0, at) };
}

function packEach(records: readonly KafkaOutRecord[]): PackedRecords {
  const topics: string[] = [];
  const headerNames: string[] = [];
  const index = new Int32Array(records.length * RECORD_INTS);
  let headerIndex = new Int32Array(records.length * HEADER_INTS);
  let headers = 0;
  let estimate = 0;
  for (const r of records) estimate += r.value.length + (r.key?.length ?? 0) + 64;
  const w = new ByteWriter(estimate + (estimate >> 2));
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const o = i * RECORD_INTS;
    index[o] = indexOf(topics, r.topic);
    index[o + 1] = r.partition ?? -1;
    if (r.key === null) {
      index[o + 2] = 0;
      index[o + 3] = -1;
    } else {
      index[o + 2] = w.write(r.key);
      index[o + 3] = w.at - index[o + 2];
    }
    index[o + 4] = w.write(r.value);
    index[o + 5] = w.at - index[o + 4];
    index[o + 6] = headers;
    let n = 0;
    if (r.headers !== undefined) {
      for (const name in r.headers) {
        if ((headers + 1) * HEADER_INTS > headerIndex.length) headerIndex = grownInts(headerIndex);
        const h = headers * HEADER_INTS;
        headerIndex[h] = indexOf(headerNames, name);
        headerIndex[h + 1] = w.write(r.headers[name]);
        headerIndex[h + 2] = w.at - headerIndex[h + 1];
        headers++;
        n++;
      }
    }
    index[o + 7] = n;
  }
  return { count: records.length, topics, headerNames, index, headerIndex, bytes: new Uint8Array(w.buf.buffer, 0, w.at) };
}

function indexOf(names: string[], name: string): number {
  const i = names.indexOf(name);
  return i >= 0 ? i : names.push(name) - 1;
}

function grownInts(a: Int32Array): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(2 * a.length + HEADER_INTS);
  grown.set(a);
  return grown;
}

/** The ArrayBuffers to transfer with a packed batch. */
export function transferablesOf(p: PackedRecords): ArrayBuffer[] {
  return [p.index.buffer as ArrayBuffer, p.headerIndex.buffer as ArrayBuffer, p.bytes.buffer as ArrayBuffer];
}

/** The records again, keys, values and header values as views into the packed bytes. */
export function unpackRecords(p: PackedRecords): OutMessage[] {
  const bytes = Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength);
  const out: OutMessage[] = new Array(p.count);
  const ix = p.index;
  const hx = p.headerIndex;
  for (let i = 0; i < p.count; i++) {
    const o = i * RECORD_INTS;
    let headers: Record<string, Buffer> | undefined;
    const first = ix[o + 6];
    const n = ix[o + 7];
    if (n > 0) {
      headers = {};
      for (let k = first; k < first + n; k++) {
        const h = k * HEADER_INTS;
        headers[p.headerNames[hx[h]]] = bytes.subarray(hx[h + 1], hx[h + 1] + hx[h + 2]);
      }
    }
    out[i] = {
      topic: p.topics[ix[o]],
      partition: ix[o + 1] < 0 ? undefined : ix[o + 1],
      key: ix[o + 3] < 0 ? null : bytes.subarray(ix[o + 2], ix[o + 2] + ix[o + 3]),
      value: bytes.subarray(ix[o + 4], ix[o + 4] + ix[o + 5]),
      headers,
    };
  }
  return out;
}
