import { TidecastError } from '../../src/core/errors.js';
import type { DeadLetter } from '../../src/core/types.js';
import { Backoff, timerSleep, type Sleep } from '../../src/core/backoff.js';
import { retryBackoff, type RetryOptions } from './config.js';
import type { LineWriter } from './connect.js';
import { SpillFile } from './spill-file.js';

// Delivers line protocol with batching and retries, and loses nothing while the server is away: up to
// `maxBuffered` lines wait in memory, older ones go to the spill file, which is replayed on recovery.
// One pump sends (queue and replay interleaved), so requests never overlap and retries keep order.

export interface DurableWriterOptions {
  readonly batchSize: number;
  readonly maxBuffered: number;
  readonly spillPath: string;
  readonly closeTimeoutMs: number;
  readonly retry: RetryOptions;
}

export interface DurableWriterContext {
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly deadLetter?: (d: DeadLetter<string>) => void;
  readonly warn?: (err: unknown, message: string) => void;
}

export interface DurableWriterStats {
  written: number;
  requests: number;
  failures: number;
  spilled: number;
  replayed: number;
  rejected: number;
}

interface Waiter {
  pending: number;
  resolve(): void;
}

interface Chunk {
  lines: string[];
  readonly waiter: Waiter;
  /** Sent on its own: set while a rejected batch is bisected to find the bad line. */
  alone: boolean;
}

export class DurableWriter {
  readonly stats: DurableWriterStats = { written: 0, requests: 0, failures: 0, spilled: 0, replayed: 0, rejected: 0 };
  private readonly queue: Chunk[] = [];
  private queuedLines = 0;
  private readonly spill: SpillFile;
  private readonly backoff: Backoff;
  private readonly sleep: Sleep;
  private readonly deadline = new AbortController();
  private replayOffset = 0;
  private replayTurn = false;
  private spillPending = true; // a file left by an earlier run is replayed first
  private down = false;
  private closing = false;
  private wake: (() => void) | undefined;
  private readonly pumpDone: Promise<void>;

  constructor(
    private readonly writer: LineWriter,
    private readonly opts: DurableWriterOptions,
    private readonly ctx: DurableWriterContext = {},
  ) {
    this.spill = new SpillFile(opts.spillPath);
    this.backoff = new Backoff(retryBackoff(opts.retry), ctx.random);
    this.sleep = ctx.sleep ?? timerSleep;
    this.pumpDone = this.pump();
  }

  /** True while the last attempt failed (health: degraded). */
  get degraded(): boolean {
    return this.down;
  }

  /** Lines held in memory, not counting a request in flight. */
  get buffered(): number {
    return this.queuedLines;
  }

  /** Resolves once every line is durable: acknowledged by the server, in the spill file, or dead-lettered. */
  write(lines: readonly string[]): Promise<void> {
    if (this.closing) return Promise.reject(new TidecastError('InfluxDB sink is closed', 'sink_rejected', false));
    if (lines.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = { pending: 0, resolve };
      for (let i = 0; i < lines.length; i += this.opts.batchSize) {
        waiter.pending++;
        this.push({ lines: lines.slice(i, i + this.opts.batchSize), waiter, alone: false });
      }
      void this.spillExcess();
      this.wake?.();
    });
  }

  /** Keeps trying for closeTimeoutMs, then spills what is left; the file is replayed by the next run. */
  async close(): Promise<void> {
    if (this.closing) return this.pumpDone;
    this.closing = true;
    const timer = setTimeout(() => this.deadline.abort(), this.opts.closeTimeoutMs);
    this.wake?.();
    await this.pumpDone;
    clearTimeout(timer);
  }

  private push(c: Chunk, front = false): void {
    if (front) this.queue.unshift(c);
    else this.queue.push(c);
    this.queuedLines += c.lines.length;
  }

  private shift(): Chunk {
    const c = this.queue.shift() as Chunk;
    this.queuedLines -= c.lines.length;
    return c;
  }

  private done(c: Chunk): void {
    if (--c.waiter.pending === 0) c.waiter.resolve();
  }

  /** Moves the oldest queued chunks to the spill file until memory is within bounds (or all, when forced). */
  private async spillExcess(all = false): Promise<void> {
    const out: Chunk[] = [];
    while (this.queue.length > 0 && (all || this.queuedLines > this.opts.maxBuffered)) out.push(this.shift());
    if (out.length === 0) return;
    const lines = out.flatMap((c) => c.lines);
    await this.spill.append(lines);
    this.stats.spilled += lines.length;
    this.spillPending = true;
    for (const c of out) this.done(c);
    this.wake?.(); // an idle pump picks up the replay
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.closing && (this.deadline.signal.aborted || this.queue.length === 0)) break;
      const replay = this.spillPending && !this.closing && (this.queue.length === 0 || this.replayTurn);
      this.replayTurn = !this.replayTurn;
      if (replay) await this.replayBatch();
      else if (this.queue.length > 0) await this.sendQueued();
      else await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
    await this.spillExcess(true);
  }

  private takeBatch(): Chunk[] {
    if (this.queue[0].alone) return [this.shift()];
    const batch: Chunk[] = [];
    let n = 0;
    while (this.queue.length > 0 && !this.queue[0].alone && (n === 0 || n + this.queue[0].lines.length <= this.opts.batchSize)) {
      n += this.queue[0].lines.length;
      batch.push(this.shift());
    }
    return batch;
  }

  private async sendQueued(): Promise<void> {
    const batch = this.takeBatch();
    const err = await this.send(batch.flatMap((c) => c.lines));
    if (err === undefined) {
      for (const c of batch) this.done(c);
    } else if (!err.retriable) {
      this.bisect(batch, err);
    } else {
      for (let i = batch.length - 1; i >= 0; i--) this.push(batch[i], true);
      await this.spillExcess();
      await this.sleep(this.backoff.next(), this.deadline.signal);
    }
  }

  /** A rejected batch is split until the bad lines stand alone; they are dead-lettered, the rest delivered. */
  private bisect(batch: Chunk[], err: TidecastError): void {
    if (batch.length > 1) {
      for (let i = batch.length - 1; i >= 0; i--) this.push({ ...batch[i], alone: true }, true);
      return;
    }
    const c = batch[0];
    if (c.lines.length > 1) {
      const mid = c.lines.length >> 1;
      c.waiter.pending++;
      this.push({ lines: c.lines.slice(mid), waiter: c.waiter, alone: true }, true);
      this.push({ lines: c.lines.slice(0, mid), waiter: c.waiter, alone: true }, true);
      return;
    }
    this.reject(c.lines[0], err);
    this.done(c);
  }

  private reject(line: string, err: TidecastError): void {
    this.stats.rejected++;
    this.ctx.deadLetter?.({ record: line, code: 'sink_rejected', detail: err.message });
  }

  private async replayBatch(): Promise<void> {
    const { lines, corrupt, next } = await this.spill.read(this.replayOffset, this.opts.batchSize);
    for (const text of corrupt)
      this.ctx.deadLetter?.({ record: text, code: 'state_corrupt', detail: `Spill file ${this.spill.path}: not a JSON string` });
    if (lines.length === 0 && corrupt.length === 0) {
      if (await this.spill.clearIfAt(this.replayOffset)) {
        this.replayOffset = 0;
        this.spillPending = false;
      }
      return;
    }
    const err = await this.send(lines);
    if (err === undefined) {
      this.stats.replayed += lines.length;
      this.replayOffset = next;
    } else if (!err.retriable) {
      if (await this.replayOneByOne(lines)) this.replayOffset = next;
    } else {
      await this.sleep(this.backoff.next(), this.deadline.signal);
    }
  }

  private async replayOneByOne(lines: string[]): Promise<boolean> {
    for (const line of lines) {
      const err = await this.send([line]);
      if (err === undefined) this.stats.replayed++;
      else if (!err.retriable) this.reject(line, err);
      else return false; // the server went away again: the whole batch is retried later
    }
    return true;
  }

  /** One request; returns the failure instead of throwing. */
  private async send(lines: string[]): Promise<TidecastError | undefined> {
    this.stats.requests++;
    try {
      await this.writer.write(lines, this.deadline.signal);
      this.stats.written += lines.length;
      this.down = false;
      this.backoff.reset();
      return undefined;
    } catch (e) {
      this.stats.failures++;
      const err = e instanceof TidecastError ? e : new TidecastError(String(e), 'broker_down', true, { cause: e });
      if (err.retriable) {
        if (!this.down) this.ctx.warn?.(err, 'InfluxDB write failed; buffering and retrying.');
        this.down = true;
      }
      return err;
    }
  }
}
