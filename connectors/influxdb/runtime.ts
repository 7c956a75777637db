import type { AlertEvent } from '../../src/core/alert-event.js';
import type { DeadLetter } from '../../src/core/types.js';
import type { BatchOutputs, IngestBatch, OutputSink, RuntimeSource } from '../../src/core/ports.js';
import type { InfluxSinkOptions, InfluxSourceOptions } from './config.js';
import type { AlertPointInput } from './points.js';
import { InfluxSink, type InfluxSinkContext } from './sink.js';
import { InfluxSource, type InfluxSourceContext, type TimeRange } from './source.js';

// The InfluxDB source and sink behind the runtime's ports (src/core/ports.ts).

export interface InfluxRuntimeOptions {
  readonly name: string;
  /** false (train, replay): backfill only, then end; true (run): backfill, then tail. */
  readonly paced: boolean;
  readonly warn?: (err: unknown, message: string) => void;
}

/**
 * Position = the newest event time delivered. Resuming from it re-reads that one timestamp (a page may
 * end inside it), so a restart may repeat points at exactly that time: the pipeline drops duplicates.
 */
export function influxRuntimeSource(cfg: InfluxSourceOptions, opts: InfluxRuntimeOptions, ctx: InfluxSourceContext = {}): RuntimeSource {
  const dead: DeadLetter[] = [];
  const source = new InfluxSource(cfg, { ...ctx, warn: opts.warn, deadLetter: (d) => dead.push(d) });
  async function* batches(signal: AbortSignal, from: number | undefined): AsyncGenerator<IngestBatch> {
    const configured = source.configuredRange();
    let range: TimeRange | undefined = configured;
    if (from !== undefined) range = { start: from, stop: configured?.stop ?? Date.now() };
    let position = from;
    const batch = (pageObs: IngestBatch['observations']): IngestBatch => {
      for (const o of pageObs) if (position === undefined || o.eventTime > position) position = o.eventTime;
      return { observations: pageObs, deadLetters: dead.splice(0), position };
    };
    if (range) for await (const page of source.backfill(range, signal)) yield batch(page);
    if (dead.length > 0) yield batch([]);
    if (!opts.paced) return;
    for await (const page of source.tail(signal)) yield batch(page);
  }
  return {
    kind: 'influxdb',
    name: opts.name,
    batches,
    healthcheck: () => source.healthcheck(),
    close: () => Promise.resolve(),
  };
}

export function alertToPoint(a: AlertEvent): AlertPointInput {
  return {
    pipeline: a.pipeline,
    stream: a.stream,
    time: a.time,
    state: a.state,
    severity: a.severity,
    score: a.score,
    actual: a.actual,
    rule: a.rule,
  };
}

/** Writes are started at once and awaited by flush(): the pipeline goes on while the HTTP request runs. */
export function influxOutputSink(cfg: InfluxSinkOptions, ctx: InfluxSinkContext = {}): OutputSink & { readonly sink: InfluxSink } {
  const sink = new InfluxSink(cfg, ctx);
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>): void => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => undefined);
  };
  return {
    kind: 'influxdb',
    sink,
    write(out: BatchOutputs): Promise<void> {
      // The runtime passes the value observed at each forecast's time: written back into earlier forecasts of it.
      if (out.forecasts.length > 0)
        track(sink.writeForecasts(out.forecasts.map((forecast, i) => ({ forecast, actual: out.actuals?.[i] }))));
      if (out.alerts.length > 0) track(sink.writeAlerts(out.alerts.map(alertToPoint)));
      return Promise.resolve();
    },
    async flush(): Promise<void> {
      // Every write resolves only once durable (server or spill file), so durable and not are the same here.
      await Promise.all([...pending]);
    },
    async close(): Promise<void> {
      // close() first: it spills what the server did not take in time, which is what settles the writes.
      await sink.close();
      await Promise.allSettled([...pending]);
    },
  };
}
