import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

// A text file written line by line from a synchronous producer (the engine's listener): lines are
// collected and written in one chunk per drain(), which waits when the stream pushes back.

export class LineFile {
  private chunk: string[] = [];
  /** Lines pushed so far. */
  lines = 0;

  private constructor(private readonly out: WriteStream) {}

  /** Creates (truncates) the file, and its folder when missing. */
  static async create(path: string): Promise<LineFile> {
    await mkdir(dirname(path), { recursive: true });
    return new LineFile(createWriteStream(path));
  }

  push(line: string): void {
    this.chunk.push(line);
    this.lines++;
  }

  async drain(): Promise<void> {
    if (this.chunk.length === 0) return;
    const ok = this.out.write(`${this.chunk.join('\n')}\n`);
    this.chunk = [];
    if (!ok) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    await this.drain();
    this.out.end();
    await once(this.out, 'finish');
  }
}
