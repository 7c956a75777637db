import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TidecastError } from '../core/errors.js';
import type { RecordChunk } from './record-chunks.js';

// The binary checkpoint file: a small header with a JSON meta part (positions, weights, settings),
// then the per-stream records in chunks as they were captured, then a trailer with the SHA-256 of
// everything before it. Written streamed, chunk by chunk (never one giant buffer or string), to a
// temp file that is fsynced and renamed, so a reader sees the old file or the new one, whole; read
// back the same way, chunk by chunk, with the checksum checked before anything is used.
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

/**
 * Reads and verifies a checkpoint file, chunk by chunk (no single buffer of the whole file, so no
 * 2 GiB read limit); undefined when there is none. Corruption throws state_corrupt.
 */
export async function readCheckpointFile<M>(path: string): Promise<CheckpointFileContent<M> | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const corrupt = (detail: string): TidecastError =>
    new TidecastError(
      `Checkpoint ${path} is corrupt or truncated (${detail}); move it away to start fresh, or restore a backup.`,
      'state_corrupt',
      false,
    );
  try {
    const size = (await fh.stat()).size;
    const readAt = async (pos: number, n: number): Promise<Buffer> => {
      const b = Buffer.allocUnsafe(n);
      for (let off = 0; off < n; ) {
        const { bytesRead } = await fh.read(b, off, n - off, pos + off);
        if (bytesRead === 0) throw corrupt('the file ended early');
        off += bytesRead;
      }
      return b;
    };
    if (size < 12 + 8 + 36) throw corrupt('too short to be a Tidecast binary checkpoint');
    const hash = createHash('sha256');
    const head = await readAt(0, 12);
    hash.update(head);
    if (head.readUInt32LE(0) !== MAGIC) throw corrupt('not a Tidecast binary checkpoint');
    const version = head.readUInt16LE(4);
    if (version !== CHECKPOINT_FILE_VERSION) throw corrupt(`format version ${version}, this build reads ${CHECKPOINT_FILE_VERSION}`);
    const body = size - 36;
    const tail = await readAt(body, 36);
    if (tail.readUInt32LE(0) !== END) throw corrupt('the end marker is missing: the file was cut short');
    const metaLen = head.readUInt32LE(8);
    if (12 + metaLen > body) throw corrupt('meta part runs past the end');
    const metaBytes = await readAt(12, metaLen);
    hash.update(metaBytes);
    let pos = 12 + metaLen;
    const chunks: RecordChunk[] = [];
    for (;;) {
      if (pos + 8 > body) throw corrupt('chunk list runs past the end');
      const f = await readAt(pos, 8);
      hash.update(f);
      const records = f.readUInt32LE(0);
      const bytes = f.readUInt32LE(4);
      pos += 8;
      if (records === 0) break;
      if (pos + bytes > body) throw corrupt('a chunk runs past the end');
      const data = await readAt(pos, bytes);
      hash.update(data);
      chunks.push({ records, bytes: data });
      pos += bytes;
    }
    if (pos !== body) throw corrupt('bytes after the last chunk');
    if (!hash.digest().equals(tail.subarray(4, 36))) throw corrupt('checksum mismatch');
    return { meta: JSON.parse(metaBytes.toString('utf8')) as M, chunks };
  } finally {
    await fh.close();
  }
}

function frame(records: number, bytes: number): Uint8Array {
  const f = new DataView(new ArrayBuffer(8));
  f.setUint32(0, records, true);
  f.setUint32(4, bytes, true);
  return new Uint8Array(f.buffer);
}
