import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TidecastError } from '../core/errors.js';
import type { RecordChunk } from './record-chunks.js';

// The binary checkpoint file: a small header with a JSON meta part (positions, weights, settings),
// then the per-stream records in chunks as they were captured, then a trailer with the SHA-256 of
// everything before it. Written streamed, chunk by chunk (never one giant buffer or string), to a
// temp file that is fsynced and renamed, so a reader sees the old file or the new one, whole.
//
//   "TCCK" u32 | version u16 | 0 u16 | meta length u32 | meta (UTF-8 JSON)
//   per chunk:  records u32 | bytes u32 | bytes          (records 0 ends the chunk list)
//   "TEND" u32 | SHA-256 (32 bytes) of everything above

const MAGIC = 0x4b434354; // "TCCK" little-endian
const END = 0x444e4554; // "TEND"
export const CHECKPOINT_FILE_VERSION = 2;

export interface CheckpointFileContent<M> {
  readonly meta: M;
  readonly chunks: readonly RecordChunk[];
}

/** Writes the file atomically; returns its size in bytes. */
export async function writeCheckpointFile(path: string, meta: unknown, chunks: readonly RecordChunk[]): Promise<number> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const hash = createHash('sha256');
  const fh = await open(tmp, 'w');
  let size = 0;
  const put = async (bytes: Uint8Array, hashed = true): Promise<void> => {
    if (hashed) hash.update(bytes);
    let off = 0;
    while (off < bytes.byteLength) off += (await fh.write(bytes, off, bytes.byteLength - off)).bytesWritten;
    size += bytes.byteLength;
  };
  try {
    const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
    const head = new DataView(new ArrayBuffer(12));
    head.setUint32(0, MAGIC, true);
    head.setUint16(4, CHECKPOINT_FILE_VERSION, true);
    head.setUint32(8, metaBytes.byteLength, true);
    await put(new Uint8Array(head.buffer));
    await put(metaBytes);
    for (const c of chunks) {
      if (c.records === 0) continue;
      await put(frame(c.records, c.bytes.byteLength));
      await put(c.bytes);
    }
    await put(frame(0, 0));
    const tail = new Uint8Array(36);
    new DataView(tail.buffer).setUint32(0, END, true);
    tail.set(hash.digest(), 4);
    await put(tail, false);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    await d.close();
  }
  return size;
}

/** Reads and verifies a checkpoint file; undefined when there is none. Corruption throws state_corrupt. */
export async function readCheckpointFile<M>(path: string): Promise<CheckpointFileContent<M> | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseCheckpointFile<M>(buf, path);
}

export function parseCheckpointFile<M>(buf: Uint8Array, path: string): CheckpointFileContent<M> {
  const corrupt = (detail: string): TidecastError => new TidecastError(
    `Checkpoint ${path} is corrupt or truncated (${detail}); move it away to start fresh, or restore a backup.`, 'state_corrupt', false,
  );
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < 12 + 8 + 36 || view.getUint32(0, true) !== MAGIC) throw corrupt('not a Tidecast binary checkpoint');
  const version = view.getUint16(4, true);
  if (version !== CHECKPOINT_FILE_VERSION) throw corrupt(`format version ${version}, this build reads ${CHECKPOINT_FILE_VERSION}`);
  const body = buf.byteLength - 36;
  if (view.getUint32(body, true) !== END) throw corrupt('the end marker is missing: the file was cut short');
  const digest = createHash('sha256').update(buf.subarray(0, body)).digest();
  if (!digest.equals(buf.subarray(body + 4, body + 36))) throw corrupt('checksum mismatch');
  const metaLen = view.getUint32(8, true);
  let pos = 12 + metaLen;
  if (pos > body) throw corrupt('meta part runs past the end');
  const meta = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 12, metaLen).toString('utf8')) as M;
  const chunks: RecordChunk[] = [];
  for (;;) {
    if (pos + 8 > body) throw corrupt('chunk list runs past the end');
    const records = view.getUint32(pos, true);
    const bytes = view.getUint32(pos + 4, true);
    pos += 8;
    if (records === 0) break;
    if (pos + bytes > body) throw corrupt('a chunk runs past the end');
    chunks.push({ records, bytes: buf.subarray(pos, pos + bytes) });
    pos += bytes;
  }
  if (pos !== body) throw corrupt('bytes after the last chunk');
  return { meta, chunks };
}

function frame(records: number, bytes: number): Uint8Array {
  const f = new DataView(new ArrayBuffer(8));
  f.setUint32(0, records, true);
  f.setUint32(4, bytes, true);
  return new Uint8Array(f.buffer);
}
