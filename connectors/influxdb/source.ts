import { Observable } from 'rxjs';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { TidecastError } from '../../src/core/errors.js';
import type { DeadLetter, Observation } from '../../src/core/types.js';
import { Backoff, timerSleep, type Sleep } from '../../src/core/backoff.js';
import { retryBackoff, type InfluxSourceOptions, type RetryOptions } from './config.js';
import { connect } from './connect.js';
import type { PageReader, PageRow } from './page-query.js';
import { rowToObservation, type RowShape } from './row-to-observation.js';
import { scanPages, type ScanQuery } from './scan-pages.js';
import { SeenTimes } from './seen-times.js';

export interface InfluxSourceContext {
  readonly clock?: Clock;
  readonly deadLetter?: (d: DeadLetter) => void;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly retry?: RetryOptions;
  readonly warn?: (err: unknown, message: string) => void;
  /** Replaces the HTTP reader (request-shape tests). */
  readonly reader?: PageReader;
}

export interface InfluxSourceStats {
  rows: number;
  emitted: number;
  duplicates: number;
  deadLettered: number;
  retries: number;
  polls: number;
}

export interface TimeRange {
  readonly start: number;
  readonly stop: number;
}

const DEFAULT_RETRY: RetryOptions = { initial_ms: 200, max_ms: 10_000, factor: 2, jitter: 0.2 };

/**
 * Reads a measurement as streams of Observations: backfill over a time range, then tail by polling.
 * Both share one memory of what was emitted, so the handover neither skips nor repeats a point.
 */
export class InfluxSource {
  readonly kind = 'influxdb';
  readonly stats: InfluxSourceStats = { rows: 0, emitted: 0, duplicates: 0, deadLettered: 0, retries: 0, polls: 0 };
  private readonly reader: PageReader;
  private readonly query: ScanQuery;
  private readonly shape: RowShape;
  private readonly seen = new SeenTimes();
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly backoff: Backoff;
  private readonly ping: (signal?: AbortSignal) => Promise<void>;
  private floor: number | undefined;

  constructor(
    private readonly cfg: InfluxSourceOptions,
    private readonly ctx: InfluxSourceContext = {},
  ) {
    const conn = ctx.reader ? undefined : connect(cfg.connection);
    this.reader = ctx.reader ?? (conn as NonNullable<typeof conn>).reader;
    this.ping = conn ? conn.ping : () => Promise.resolve();
    this.query = {
      measurement: cfg.measurement,
      fields: cfg.fields,
      tags: cfg.stream_tags,
      tagFilter: cfg.tag_filter,
      limit: cfg.page_size,
    };
    this.shape = { connector: 'influxdb', keyPrefix: cfg.key_prefix ?? cfg.measurement, fields: cfg.fields, tags: cfg.stream_tags };
    this.clock = ctx.clock ?? systemClock;
    this.sleep = ctx.sleep ?? timerSleep;
    this.backoff = new Backoff(retryBackoff(ctx.retry ?? DEFAULT_RETRY), ctx.random);
  }

  /** The configured backfill range, or undefined when the source only tails. */
  configuredRange(): TimeRange | undefined {
    if (this.cfg.backfill_start === undefined) return undefined;
    const stop = this.cfg.backfill_stop === undefined ? this.clock.now() : Date.parse(this.cfg.backfill_stop);
    return { start: Date.parse(this.cfg.backfill_start), stop };
  }

  /** Pages of observations in [start, stop), in time order; transient failures are retried from where they stopped. */
  async *backfill(range: TimeRange, signal?: AbortSignal): AsyncGenerator<Observation[]> {
    this.floor ??= range.start;
    let from = range.start;
    while (!signal?.aborted) {
      try {
        for await (const rows of scanPages(this.reader, this.query, from, range.stop, signal, this.cfg.page_window_ms)) {
          const out = this.accept(rows);
          from = rows[rows.length - 1].time; // rows at this time are remembered, so a restart skips them
          this.seen.forgetBefore(from - this.cfg.overlap_ms);
          this.backoff.reset();
          if (out.length > 0) yield out;
        }
        return;
      } catch (err) {
        await this.retryOrThrow(err, 'Backfill read failed; retrying.', signal);
      }
    }
  }

  /** Polls for points at or after the newest seen minus the overlap window, emitting only unseen ones. */
  async *tail(signal?: AbortSignal): AsyncGenerator<Observation[]> {
    this.floor ??= this.clock.now() - this.cfg.overlap_ms;
    while (!signal?.aborted) {
      const w = this.seen.watermark;
      const lower = Math.max(this.floor, w === Number.NEGATIVE_INFINITY ? this.floor : w - this.cfg.overlap_ms);
      this.stats.polls++;
      let wait = this.cfg.poll_interval_ms;
      try {
        for await (const rows of scanPages(this.reader, this.query, lower, undefined, signal)) {
          const out = this.accept(rows);
          if (out.length > 0) yield out;
        }
        this.backoff.reset();
        this.seen.forgetBefore(this.seen.watermark - this.cfg.overlap_ms);
      } catch (err) {
        await this.retryOrThrow(err, 'Tail poll failed; retrying.', signal);
        wait = 0; // retryOrThrow already slept the backoff
      }
      if (wait > 0) await this.sleep(wait, signal);
    }
  }

  /** Backfill (when configured) then tail, as a cold Observable of pages; unsubscribing stops it. */
  observe(range: TimeRange | undefined = this.configuredRange()): Observable<readonly Observation[]> {
    return new Observable<readonly Observation[]>((subscriber) => {
      const abort = new AbortController();
      void (async () => {
        try {
          if (range) for await (const page of this.backfill(range, abort.signal)) subscriber.next(page);
          for await (const page of this.tail(abort.signal)) subscriber.next(page);
          subscriber.complete();
        } catch (err) {
          subscriber.error(err);
        }
      })();
      return () => abort.abort();
    });
  }

  /** Server reachable (a /ping answered). */
  async healthcheck(): Promise<{ status: 'ok' | 'down'; detail?: string }> {
    try {
      await this.ping();
      return { status: 'ok' };
    } catch (err) {
      return { status: 'down', detail: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Newest event time seen per stream (for a checkpoint or a status page). */
  lastSeen(): Map<string, number> {
    const m = new Map<string, number>();
    for (const k of this.seen.streams()) m.set(k, this.seen.lastOf(k) as number);
    return m;
  }

  private accept(rows: readonly PageRow[]): Observation[] {
    const out: Observation[] = [];
    for (const row of rows) {
      this.stats.rows++;
      const r = rowToObservation(row, this.shape);
      if (!r.ok) {
        this.stats.deadLettered++;
        this.ctx.deadLetter?.(r.dead);
      } else if (this.seen.add(r.observation.key, r.observation.eventTime)) {
        this.stats.emitted++;
        out.push(r.observation);
      } else {
        this.stats.duplicates++;
      }
    }
    return out;
  }

  private async retryOrThrow(err: unknown, message: string, signal: AbortSignal | undefined): Promise<void> {
    if (!(err instanceof TidecastError) || !err.retriable) throw err;
    this.stats.retries++;
    this.ctx.warn?.(err, message);
    await this.sleep(this.backoff.next(), signal);
  }
}
