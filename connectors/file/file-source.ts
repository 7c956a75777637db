import { access } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeadLetter, Observation } from '../../src/core/types.js';
import type { FileSourceConfig } from './config.js';
import { lineChunks } from './line-chunks.js';
import { RowParser } from './parse-row.js';
import { measureSampleLap } from './sample-lap.js';

// Replays a file: paced by event time (`replay.speedup` event-ms per wall-ms) for the live demo, or
// as fast as possible for `tidecast replay` and `train`. The position is the count of data rows
// consumed, so a restored run skips exactly what the checkpoint had already processed.

export interface FileBatch {
  readonly observations: readonly Observation[];
  readonly deadLetters: readonly DeadLetter[];
  /** Data rows consumed up to and including this batch. */
  readonly position: number;
}

export interface FileSourceOptions {
  readonly name: string;
  /** false: no pacing, largest batches. */
  readonly paced: boolean;
  /** Wall clock for pacing (injectable for tests). */
  readonly now?: () => number;
}

export class FileSource {
  readonly kind = 'file';
  readonly name: string;

  constructor(
    readonly config: FileSourceConfig,
    readonly options: FileSourceOptions,
  ) {
    this.name = options.name;
  }

  async healthcheck(): Promise<{ status: 'ok' | 'down'; detail?: string }> {
    try {
      await access(this.config.path);
      return { status: 'ok' };
    } catch (err) {
      return { status: 'down', detail: (err as Error).message };
    }
  }

  /**
   * Batches from data row `from` on; ends at end of file or when the signal aborts. With `loop` (paced
   * runs only) it never ends: lap n replays the file with event times shifted by n sample spans, and
   * positions count on across laps (lap n, row r: n * rows + r), so a restore resumes mid-lap.
   */
  async *batches(signal: AbortSignal, from = 0): AsyncGenerator<FileBatch> {
    const c = this.config;
    const pace: Pace = { anchorEvent: NaN, anchorWall: NaN };
    if (this.options.paced && c.replay.start_delay_ms > 0)
      await sleep(c.replay.start_delay_ms, undefined, { signal }).catch(() => undefined);
    const lap = this.options.paced && c.loop ? await measureSampleLap(c) : undefined;
    if (lap === undefined || lap.observing === 0 || lap.shiftMs <= 0) {
      yield* this.lap(signal, from, 0, 0, pace);
      return;
    }
    for (let n = Math.floor(from / lap.rows); !signal.aborted; n++) {
      const base = n * lap.rows;
      yield* this.lap(signal, Math.max(0, from - base), base, n * lap.shiftMs, pace);
    }
  }

  /** One read of the file from data row `from`; positions and offsets count from `base`, times shift by `shiftMs`. */
  private async *lap(signal: AbortSignal, from: number, base: number, shiftMs: number, pace: Pace): AsyncGenerator<FileBatch> {
    const c = this.config;
    const parser = new RowParser(c);
    const now = this.options.now ?? Date.now;
    const max = this.options.paced ? c.replay.max_batch_records : 4096;
    let row = -1;
    let header = c.format === 'csv';
    let obs: Observation[] = [];
    let dead: DeadLetter[] = [];
    // Lines one read at a time (line-chunks.ts: readline's split without a promise per line).
    for await (const lines of lineChunks(c.path)) {
      for (const line of lines) {
        if (signal.aborted) return;
        if (header) {
          header = false;
          const problem = parser.setHeader(line);
          if (problem !== undefined) throw new Error(`${c.path}: ${problem}`);
          continue;
        }
        if (line.trim() === '') continue;
        row++;
        if (row < from) continue;
        const r = parser.parse(line, { connector: this.name, partition: 0, offset: String(base + row) });
        if (!r.ok) {
          dead.push(r.dead);
          continue;
        }
        if (this.options.paced && r.observations.length > 0) {
          const t = r.observations[0].eventTime + shiftMs;
          if (Number.isNaN(pace.anchorEvent)) [pace.anchorEvent, pace.anchorWall] = [t, now()];
          const due = pace.anchorWall + (t - pace.anchorEvent) / c.replay.speedup;
          const wait = due - now();
          if (wait > 0) {
            if (obs.length + dead.length > 0) {
              yield { observations: obs, deadLetters: dead, position: base + row };
              obs = [];
              dead = [];
            }
            await sleep(wait, undefined, { signal }).catch(() => undefined);
            if (signal.aborted) return;
          }
        }
        if (shiftMs === 0) for (const o of r.observations) obs.push(o);
        else for (const o of r.observations) obs.push({ ...o, eventTime: o.eventTime + shiftMs });
        if (obs.length >= max) {
          yield { observations: obs, deadLetters: dead, position: base + row + 1 };
          obs = [];
          dead = [];
        }
      }
    }
    if (obs.length + dead.length > 0) yield { observations: obs, deadLetters: dead, position: base + row + 1 };
  }
}

/** Replay pacing anchor (first event time and the wall time it was read), kept across laps. */
interface Pace {
  anchorEvent: number;
  anchorWall: number;
}
