import type { Point } from '@influxdata/influxdb-client';
import { createHash } from 'node:crypto';
import type { DeadLetter, Forecast } from '../../src/core/types.js';
import { ActualTracker } from './actual-tracker.js';
import type { Sleep } from '../../src/core/backoff.js';
import type { InfluxSinkOptions } from './config.js';
import { connect, type LineWriter } from './connect.js';
import { DurableWriter, type DurableWriterStats } from './durable-writer.js';
import { actualPoint, alertPoint, forecastPoints, toLine, type AlertPointInput, type PointProblem } from './points.js';

/** A forecast, with the value actually observed at its time `t` when the caller knows it. */
export interface ForecastWrite {
  readonly forecast: Forecast;
  readonly actual?: number | null;
}

export interface InfluxSinkContext {
  readonly deadLetter?: (d: DeadLetter) => void;
  readonly warn?: (err: unknown, message: string) => void;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  /** Part of the default spill file name, so that two pipelines writing to one place do not share a file. */
  readonly pipeline?: string;
  /** Replaces the HTTP writer (tests of the buffering logic). */
  readonly writer?: LineWriter;
}

/** Most horizons remembered per stream for writing actuals back into earlier forecasts. */
const ACTUAL_MEMORY = 64;

/** Forecasts and alerts as InfluxDB points; write() resolves when they are durable. */
export class InfluxSink {
  readonly kind = 'influxdb';
  private readonly writer: DurableWriter;
  private readonly actuals = new ActualTracker(ACTUAL_MEMORY);
  private readonly ping: (s?: AbortSignal) => Promise<void>;

  constructor(
    private readonly cfg: InfluxSinkOptions,
    private readonly ctx: InfluxSinkContext = {},
  ) {
    const conn = ctx.writer ? undefined : connect(cfg.connection);
    this.ping = conn ? conn.ping : () => Promise.resolve();
    this.writer = new DurableWriter(
      ctx.writer ?? (conn as NonNullable<typeof conn>).writer,
      {
        batchSize: cfg.batch_size,
        maxBuffered: cfg.max_buffered_points,
        spillPath: cfg.spill_path ?? defaultSpillPath(cfg, ctx.pipeline),
        closeTimeoutMs: cfg.close_timeout_ms,
        retry: cfg.retry,
      },
      { sleep: ctx.sleep, random: ctx.random, deadLetter: ctx.deadLetter, warn: ctx.warn },
    );
  }

  get stats(): DurableWriterStats {
    return this.writer.stats;
  }

  /** True while writes are failing and being retried. */
  get degraded(): boolean {
    return this.writer.degraded;
  }

  /** Writes each forecast's horizons, and the actual at `t` into the earlier forecasts that predicted `t`. */
  writeForecasts(batch: readonly ForecastWrite[]): Promise<void> {
    const m = this.cfg.forecast_measurement;
    const lines: string[] = [];
    for (const { forecast: f, actual } of batch) {
      if (actual !== undefined && actual !== null) {
        if (!Number.isFinite(actual)) this.problem(f, [{ field: 'actual', value: actual }]);
        else
          for (const tg of this.actuals.targets(f.key, f.t, f.stepMs))
            this.push(lines, actualPoint(m, f.pipeline, f.key, tg.horizon, tg.modelVersion, f.t, actual), f);
      }
      const problems: PointProblem[] = [];
      for (const p of forecastPoints(m, f, problems)) this.push(lines, p, f);
      if (problems.length > 0) this.problem(f, problems);
      this.actuals.issued(f.key, f.t, Math.min(f.mean.length, ACTUAL_MEMORY), f.modelVersion);
    }
    return this.writer.write(lines);
  }

  writeAlerts(batch: readonly AlertPointInput[]): Promise<void> {
    const lines: string[] = [];
    for (const a of batch) {
      const problems: PointProblem[] = [];
      this.push(lines, alertPoint(this.cfg.alert_measurement, a, problems), a);
      if (problems.length > 0) this.problem(a, problems);
    }
    return this.writer.write(lines);
  }

  /** Server reachable and nothing waiting to be retried. */
  async healthcheck(): Promise<{ status: 'ok' | 'degraded' | 'down'; detail?: string }> {
    try {
      await this.ping();
    } catch (err) {
      return { status: 'down', detail: err instanceof Error ? err.message : String(err) };
    }
    return this.writer.degraded ? { status: 'degraded', detail: 'Retrying failed writes.' } : { status: 'ok' };
  }

  close(): Promise<void> {
    return this.writer.close();
  }

  private push(lines: string[], p: Point, record: unknown): void {
    const line = toLine(p);
    if (line !== undefined) lines.push(line);
    else this.ctx.deadLetter?.({ record, code: 'non_finite', detail: 'No finite field left to write.' });
  }

  private problem(record: unknown, problems: readonly PointProblem[]): void {
    const list = problems.map((p) => `${p.field}=${p.value}`).join(', ');
    this.ctx.deadLetter?.({ record, code: 'non_finite', detail: `Not written (InfluxDB stores finite floats only): ${list}` });
  }
}

/** One file per pipeline and destination: a sink replays only what it spilled itself. */
export function defaultSpillPath(cfg: InfluxSinkOptions, pipeline = ''): string {
  const c = cfg.connection;
  const target = c.api === 'v1' ? [c.url, c.database, c.retention_policy ?? ''] : [c.url, c.org, c.bucket];
  const id = JSON.stringify([pipeline, c.api, ...target, cfg.forecast_measurement, cfg.alert_measurement]);
  return `var/influxdb-spill/${createHash('sha256').update(id).digest('hex').slice(0, 16)}.jsonl`;
}
