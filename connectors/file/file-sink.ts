import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SerialQueue } from '../../src/core/serial-queue.js';
import type { FileSinkConfig } from './config.js';

// Appends JSON lines to local files: forecasts, alerts and dead letters each to their own file.
// write() buffers; flush() writes and (with fsync) makes the lines durable before a checkpoint.

export type FileSinkStream = 'forecasts' | 'alerts' | 'dead_letters';

class JsonLinesFile {
  private handle: FileHandle | undefined;
  private pending: string[] = [];
  // One file operation at a time. Flushes come from the batch loop, the idle timer and the checkpoint
  // at once; run together, each would open its own handle while none was open yet (all but one then
  // leak until garbage collection, DEP0137) and their writes to one handle could land out of order.
  private readonly queue = new SerialQueue();

  constructor(readonly path: string) {}

  add(line: string): void {
    this.pending.push(line);
  }

  flush(sync: boolean): Promise<void> {
    return this.queue.run(() => this.flushNow(sync));
  }

  /** Flushes durably and closes the handle, also when the last flush fails. */
  close(): Promise<void> {
    return this.queue.run(async () => {
      try {
        await this.flushNow(true);
      } finally {
        const handle = this.handle;
        this.handle = undefined;
        await handle?.close();
      }
    });
  }

  private async flushNow(sync: boolean): Promise<void> {
    if (this.pending.length === 0 && !sync) return;
    if (this.handle === undefined) {
      await mkdir(dirname(this.path), { recursive: true });
      this.handle = await open(this.path, 'a');
    }
    if (this.pending.length > 0) {
      const text = `${this.pending.join('\n')}\n`;
      this.pending = [];
      await this.handle.write(text);
    }
    if (sync) await this.handle.datasync();
  }
}

export class FileSink {
  readonly kind = 'file';
  private readonly files: Partial<Record<FileSinkStream, JsonLinesFile>> = {};

  constructor(readonly config: FileSinkConfig) {
    if (config.forecasts_path) this.files.forecasts = new JsonLinesFile(config.forecasts_path);
    if (config.alerts_path) this.files.alerts = new JsonLinesFile(config.alerts_path);
    if (config.dead_letters_path) this.files.dead_letters = new JsonLinesFile(config.dead_letters_path);
  }

  accepts(stream: FileSinkStream): boolean {
    return this.files[stream] !== undefined;
  }

  write(stream: FileSinkStream, record: unknown): void {
    this.files[stream]?.add(JSON.stringify(record, jsonReplacer));
  }

  /** Writes what is buffered; `durable` also fsyncs (before a checkpoint). */
  async flush(durable = false): Promise<void> {
    await Promise.all(Object.values(this.files).map((f) => f.flush(durable && this.config.fsync)));
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.files).map((f) => f.close()));
  }
}

/** Typed arrays as plain arrays; non-finite numbers as null (JSON has no NaN). */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}
