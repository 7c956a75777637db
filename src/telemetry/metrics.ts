import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from '../core/types.js';
import type { ComponentMetrics } from '../operators/context.js';

// The daemon's Prometheus metrics. Names follow tidecast_<noun>_<unit>[_total] in base units
// (seconds, events). Labels stay bounded: pipeline, component, code, stage, severity, state, outcome.
// A stream key is never a label (thousands of streams would explode the series count).
// createMetrics() builds a fresh Registry each call so tests never collide on the global one.

export interface MetricsOptions {
  /** Add process/runtime metrics (CPU, memory, event loop lag). Default false (the daemon turns it on). */
  readonly collectDefault?: boolean;
  /** Use this registry instead of a new one. */
  readonly registry?: Registry;
}

/** Lateness buckets in seconds: in-order records sit at 0, reordering up to hours on replayed feeds. */
const LATENESS_BUCKETS = [0, 0.1, 1, 5, 15, 60, 300, 900, 3600, 6 * 3600, 86_400];
/** Batch sizes in events. */
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];
/** One batched model step: tens of microseconds for a few streams, milliseconds for thousands. */
const STEP_BUCKETS = [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const TRAIN_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Where an event waits on the Kafka path: a millisecond when idle, seconds when a queue grows. */
const STAGE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface TidecastMetrics {
  readonly registry: Registry;
  /** Records read from a source (before parsing). */
  readonly receivedEvents: Counter<'pipeline' | 'component'>;
  /** Records a component passed on or a sink delivered. */
  readonly sentEvents: Counter<'pipeline' | 'component'>;
  /** Records dead-lettered, by error code and the stage that rejected them. */
  readonly deadLetters: Counter<'pipeline' | 'component' | 'code' | 'stage'>;
  /** Counted events that produce no output of their own (duplicates, dropped on overflow). */
  readonly discardedEvents: Counter<'pipeline' | 'component' | 'reason'>;
  /** Other bounded per-component counts (imputed_steps, broken_gaps, late_accepted, ...). */
  readonly componentEvents: Counter<'pipeline' | 'component' | 'name'>;
  /** How far behind the stream's newest event time a record arrived (0 for in-order records). */
  readonly lateness: Histogram<'pipeline'>;
  /** Size of each batch a stage handled (source fetch, model step, sink write). */
  readonly batchSize: Histogram<'pipeline' | 'stage'>;
  /** Wall time of one batched model step (all streams of the batch). */
  readonly stepDuration: Histogram<'pipeline'>;
  /** Forecasts made. */
  readonly forecasts: Counter<'pipeline'>;
  /** Streams with live state. */
  readonly activeStreams: Gauge<'pipeline'>;
  /** Background training runs by outcome: swapped (candidate won), kept (it lost), failed. */
  readonly trainingRuns: Counter<'pipeline' | 'outcome'>;
  /** Loss of the latest training run, by split (train, validation, incumbent). */
  readonly trainingLoss: Gauge<'pipeline' | 'split'>;
  readonly trainingDuration: Histogram<'pipeline'>;
  /** Alert events by severity and state (pending, firing, resolved). */
  readonly alertEvents: Counter<'pipeline' | 'severity' | 'state'>;
  /** Alert episodes currently firing. */
  readonly alertsFiring: Gauge<'pipeline' | 'severity'>;
  /** Sink writes by outcome (ok, retry, failed). */
  readonly sinkWrites: Counter<'pipeline' | 'sink' | 'outcome'>;
  /** State checkpoints written. */
  readonly checkpoints: Counter<'pipeline' | 'outcome'>;
  /** 1 while the pipeline's latest checkpoint attempt failed (its state on disk is stale), else 0. */
  readonly checkpointFailing: Gauge<'pipeline'>;
  /** HTTP requests served by the API, by route pattern (bounded) and status code. */
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  /** HTTP ingest requests refused whole before any record was read (too_many_records, too_deep, ...). */
  readonly ingestRefused: Counter<'pipeline' | 'code'>;
  /**
   * Per batch, how long it spent in each stage of the Kafka path (connectors/kafka/stage-latency.ts):
   * source (producer timestamp -> handed out), queue (-> picked up), sink (-> outputs durable),
   * changelog (-> states durable), commit (ack -> offset committed).
   */
  readonly kafkaStage: Histogram<'pipeline' | 'stage'>;
}

export function createMetrics(options: MetricsOptions = {}): TidecastMetrics {
  const registry = options.registry ?? new Registry();
  if (options.collectDefault) collectDefaultMetrics({ register: registry, prefix: 'tidecast_' });
  const r = [registry];
  return {
    registry,
    receivedEvents: new Counter({
      name: 'tidecast_received_events_total',
      help: 'Records read from a source or received by a component.',
      labelNames: ['pipeline', 'component'],
      registers: r,
    }),
    sentEvents: new Counter({
      name: 'tidecast_sent_events_total',
      help: 'Records passed on by a component or delivered by a sink.',
      labelNames: ['pipeline', 'component'],
      registers: r,
    }),
    deadLetters: new Counter({
      name: 'tidecast_dead_letters_total',
      help: 'Records dead-lettered, by error code and stage.',
      labelNames: ['pipeline', 'component', 'code', 'stage'],
      registers: r,
    }),
    discardedEvents: new Counter({
      name: 'tidecast_discarded_events_total',
      help: 'Records counted and dropped on purpose, by reason.',
      labelNames: ['pipeline', 'component', 'reason'],
      registers: r,
    }),
    componentEvents: new Counter({
      name: 'tidecast_component_events_total',
      help: 'Other per-component counts, by name.',
      labelNames: ['pipeline', 'component', 'name'],
      registers: r,
    }),
    lateness: new Histogram({
      name: 'tidecast_event_lateness_seconds',
      help: 'How far behind the newest event time of its stream a record arrived.',
      labelNames: ['pipeline'],
      buckets: LATENESS_BUCKETS,
      registers: r,
    }),
    batchSize: new Histogram({
      name: 'tidecast_batch_size_events',
      help: 'Events per batch, by stage.',
      labelNames: ['pipeline', 'stage'],
      buckets: BATCH_BUCKETS,
      registers: r,
    }),
    stepDuration: new Histogram({
      name: 'tidecast_step_duration_seconds',
      help: 'Wall time of one batched model step.',
      labelNames: ['pipeline'],
      buckets: STEP_BUCKETS,
      registers: r,
    }),
    forecasts: new Counter({ name: 'tidecast_forecasts_total', help: 'Forecasts made.', labelNames: ['pipeline'], registers: r }),
    activeStreams: new Gauge({ name: 'tidecast_active_streams', help: 'Streams with live state.', labelNames: ['pipeline'], registers: r }),
    trainingRuns: new Counter({
      name: 'tidecast_training_runs_total',
      help: 'Background training runs, by outcome (swapped, kept, failed).',
      labelNames: ['pipeline', 'outcome'],
      registers: r,
    }),
    trainingLoss: new Gauge({
      name: 'tidecast_training_loss',
      help: 'Loss of the latest training run, by split.',
      labelNames: ['pipeline', 'split'],
      registers: r,
    }),
    trainingDuration: new Histogram({
      name: 'tidecast_training_duration_seconds',
      help: 'Wall time of a training run.',
      labelNames: ['pipeline'],
      buckets: TRAIN_BUCKETS,
      registers: r,
    }),
    alertEvents: new Counter({
      name: 'tidecast_alert_events_total',
      help: 'Alert events, by severity and state.',
      labelNames: ['pipeline', 'severity', 'state'],
      registers: r,
    }),
    alertsFiring: new Gauge({
      name: 'tidecast_alerts_firing',
      help: 'Alert episodes firing now.',
      labelNames: ['pipeline', 'severity'],
      registers: r,
    }),
    sinkWrites: new Counter({
      name: 'tidecast_sink_writes_total',
      help: 'Sink write calls, by outcome (ok, retry, failed).',
      labelNames: ['pipeline', 'sink', 'outcome'],
      registers: r,
    }),
    checkpoints: new Counter({
      name: 'tidecast_checkpoints_total',
      help: 'State checkpoints, by outcome (ok, failed).',
      labelNames: ['pipeline', 'outcome'],
      registers: r,
    }),
    checkpointFailing: new Gauge({
      name: 'tidecast_checkpoint_failing',
      help: '1 while the latest checkpoint attempt failed (the state on disk is stale).',
      labelNames: ['pipeline'],
      registers: r,
    }),
    httpRequests: new Counter({
      name: 'tidecast_http_requests_total',
      help: 'HTTP API requests, by route pattern, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers: r,
    }),
    ingestRefused: new Counter({
      name: 'tidecast_ingest_refused_requests_total',
      help: 'HTTP ingest requests refused whole before any record was read, by code.',
      labelNames: ['pipeline', 'code'],
      registers: r,
    }),
    kafkaStage: new Histogram({
      name: 'tidecast_kafka_stage_seconds',
      help: 'Time a batch spent in each stage of the Kafka path (source, queue, sink, changelog, commit).',
      labelNames: ['pipeline', 'stage'],
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
  };
}

/**
 * The operators' ComponentMetrics backed by prom-client, for one pipeline and component.
 * Label sets are resolved once per (code, stage) so the per-record cost is one increment.
 */
export function componentMetrics(m: TidecastMetrics, pipeline: string, component: string): ComponentMetrics {
  const received = m.receivedEvents.labels(pipeline, component);
  const sent = m.sentEvents.labels(pipeline, component);
  const cache = new Map<string, { inc(n: number): void }>();
  const child = (key: string, make: () => { inc(n: number): void }): { inc(n: number): void } => {
    let c = cache.get(key);
    if (c === undefined) {
      c = make();
      cache.set(key, c);
    }
    return c;
  };
  return {
    received: (n) => {
      if (n > 0) received.inc(n);
    },
    sent: (n) => {
      if (n > 0) sent.inc(n);
    },
    error: (code: ErrorCode, stage, n) => {
      if (n > 0) child(`e\0${code}\0${stage}`, () => m.deadLetters.labels(pipeline, component, code, stage)).inc(n);
    },
    discarded: (reason, n) => {
      if (n > 0) child(`d\0${reason}`, () => m.discardedEvents.labels(pipeline, component, reason)).inc(n);
    },
    count: (name, n) => {
      if (n > 0) child(`c\0${name}`, () => m.componentEvents.labels(pipeline, component, name)).inc(n);
    },
  };
}

/** Prometheus text exposition of the registry, and its content type. */
export async function renderMetrics(m: TidecastMetrics): Promise<{ contentType: string; body: string }> {
  return { contentType: m.registry.contentType, body: await m.registry.metrics() };
}
