import { mkdir, open, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SerialQueue } from '../../src/core/serial-queue.js';

// Points that could not be held in memory while the server was away: one JSON string (a line of line
// protocol) per line, appended and fsynced before the write that produced them is acknowledged.
// Replay reads from a byte offset; the file is emptied only once everything in it was delivered.

export interface SpillRead {
  readonly lines: string[];
  /** Lines that were not a JSON string: counted and handed back raw. */
  readonly corrupt: string[];
  readonly next: number;
}

export class SpillFile {
  private readonly lock = new SerialQueue();

  constructor(readonly path: string) {}

  /** Appends durably (fsync before resolving). */
  append(lines: readonly string[]): Promise<void> {
    return this.exclusive(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const fh = await open(this.path, 'a');
      try {
        await fh.write(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
  }

  async size(): Promise<number> {
    try {
      return (await stat(this.path)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
  }

  /** Up to `max` complete lines from `offset`; a line still being appended (no newline yet) is left for later. */
  async read(offset: number, max: number): Promise<SpillRead> {
    const lines: string[] = [];
    const corrupt: string[] = [];
    const fh = await open(this.path, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (fh === undefined) return { lines, corrupt, next: offset };
    let pos = offset;
    try {
      const buf = Buffer.alloc(1 << 20);
      let carry = Buffer.alloc(0);
      while (lines.length + corrupt.length < max) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos + carry.length);
        if (bytesRead === 0) break;
        let data = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
        let nl: number;
        while (lines.length + corrupt.length < max && (nl = data.indexOf(10)) >= 0) {
          const text = data.subarray(0, nl).toString('utf8');
          pos += nl + 1;
          data = data.subarray(nl + 1);
          const parsed = parseLine(text);
          if (parsed === undefined) corrupt.push(text);
          else lines.push(parsed);
        }
        carry = Buffer.from(data);
      }
    } finally {
      await fh.close();
    }
    return { lines, corrupt, next: pos };
  }

  /** Empties the file when nothing was appended after `offset`; true when it did. */
  clearIfAt(offset: number): Promise<boolean> {
    return this.exclusive(async () => {
      if ((await this.size()) !== offset) return false;
      if (offset > 0) await truncate(this.path, 0);
      return true;
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(fn);
  }
}

function parseLine(text: string): string | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
