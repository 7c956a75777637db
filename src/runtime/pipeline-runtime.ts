import type { AlertEvent } from '../core/alert-event.js';
import { dataPart, type PipelineSpec } from '../config/pipeline-schema.js';
import type { DeadLetter, Forecast, Observation } from '../core/types.js';
import type { Logger } from '../telemetry/logger.js';
import { componentMetrics, type TidecastMetrics } from '../telemetry/metrics.js';
import { fileSources } from '../config/file-sources.js';
import { FiringEpisodes } from '../alerting/firing-episodes.js';
import type { FitWindow } from '../state/checkpoint.js';
import { RuntimeCheckpoints } from './runtime-checkpoints.js';
import { prepareModel, type ModelOrigin } from './prepare-model.js';
import { createSink, createSource } from './connectors.js';
import { PipelineEngine, type EngineListener, type StepRow } from '../engine/pipeline-engine.js';
import { STEP_FORECAST, STEP_IMPUTED } from '../engine/engine-forecast-steps.js';
import type { OnlineLearner } from '../forecasting/online-learner.js';
import { StreamClassification } from '../forecasting/stream-classification.js';
import type { BatchOutputs, OutputSink, RuntimeSource } from '../core/ports.js';
import { lastValueFrom, of, tap, type MonoTypeOperatorFunction } from 'rxjs';
import { fromSource } from '../pipeline/from-source.js';
import { closeSteps, features, forecast, idleFlush, intake } from '../pipeline/engine-stages.js';
import { alertOn } from '../pipeline/alert-on.js';
import { pipelineBatch, type PipelineBatch } from '../pipeline/pipeline-batch.js';
import { deliver, toSinks, type DeliverOptions } from '../pipeline/to-sinks.js';
import { commit, skipStale } from '../pipeline/commit.js';

// One pipeline in the daemon: restore from its checkpoint, pull batches from every source through
// the engine, hand the outputs to the sinks and the observer (API store), checkpoint periodically
// and on stop. Every way data enters (a source's batches, HTTP ingest, the idle flush, the end of
// the data) passes the same operators: ... forecast -> alertOn -> toSinks -> commit. A checkpoint snapshots state first, then makes the outputs durable, then writes:
// outputs are never behind the state that claims them.

/** Where live results go besides the sinks (the API's ForecastStore). */
export interface RuntimeObserver {
  actual?(pipeline: string, key: string, t: number, value: number, imputed: boolean): void;
  step?(row: StepRow): void;
  forecast?(f: Forecast): void;
  alert?(a: AlertEvent): void;
  deadLetter?(pipeline: string, d: DeadLetter): void;
  modelSwapped?(pipeline: string, version: string, validationLoss: number | undefined): void;
}

export interface PipelineRuntimeOptions {
  readonly log: Logger;
  readonly metrics?: TidecastMetrics;
  readonly observer?: RuntimeObserver;
  /** Pace file sources by their replay clock (run) or read as fast as possible. */
  readonly paced: boolean;
}

/** A checkpoint that could not be written (the previous one on disk is kept, and is stale). */
export interface CheckpointFailure {
  readonly error: string;
  /** Failed attempts in a row. */
  readonly failures: number;
  /** Wall time of the first failure of this run of failures (epoch ms). */
  readonly since: number;
}

/** Attempts of the final checkpoint on stop, and the waits between them. */
const FINAL_CHECKPOINT_RETRY_MS = [250, 1_000];

export class PipelineRuntime {
  readonly engine: PipelineEngine;
  /** model.classify: the regime and deviation-kind classifiers of this pipeline's streams. */
  readonly classification: StreamClassification | undefined;
  readonly sources: RuntimeSource[];
  readonly sinks: OutputSink[];
  readonly positions: Record<string, number> = {};
  private forecasts: Forecast[] = [];
  private actuals: (number | null)[] = [];
  private alerts: AlertEvent[] = [];
  private dead: DeadLetter[] = [];
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private checkpointing: Promise<void> = Promise.resolve();
  /** Binary base + delta checkpoints (runtime-checkpoints.ts); `last` tells what the last write did. */
  readonly checkpoints: RuntimeCheckpoints;
  private lastCheckpoint = 0;
  private readonly log: Logger;
  startedFromCheckpoint = false;
  /** The checkpoint's retraining state, for attachRetraining to continue from. */
  restoredRetraining: unknown;
  private learner: OnlineLearner | undefined;
  /** What the offline fit trained on (left unscored); kept in the checkpoint. */
  private fitWindow: FitWindow | undefined;
  private readonly lastWarned = new Map<string, number>();
  /** The latest checkpoint failure, cleared by the next success: /readyz and /metrics report it. */
  checkpointFailure: CheckpointFailure | undefined;
  /** stop()'s final checkpoint failed after its retries: the daemon exits non-zero. */
  finalCheckpointFailed = false;
  /** ingestExternal's listener for the engine's dead letters, during its synchronous ingest only. */
  private rejectedHere: ((d: DeadLetter) => void) | undefined;

  constructor(
    readonly spec: PipelineSpec,
    readonly options: PipelineRuntimeOptions,
  ) {
    this.log = options.log;
    const obs = options.observer;
    const m = options.metrics;
    const lateness = m?.lateness.labels(spec.name);
    const modelBatch = m?.batchSize.labels(spec.name, 'model');
    const firing = new FiringEpisodes();
    const classes = spec.model.classify ? new StreamClassification(spec.model.horizon, { seed: spec.model.seed }) : undefined;
    this.classification = classes;
    const listener: EngineListener = {
      lateness: lateness ? (ms) => lateness.observe(ms / 1000) : undefined,
      modelBatch: modelBatch ? (n) => modelBatch.observe(n) : undefined,
      actual: obs?.actual ? (k, t, v, imp) => obs.actual?.(spec.name, k, t, v, imp) : undefined,
      step: obs?.step ? (r) => obs.step?.(r) : undefined,
      // The classifiers see each step's value, alerts and forecast interleaved, from the alert stage.
      ...(classes && classifierHooks(classes, spec)),
      forecast: (f, actual) => {
        this.forecasts.push(f);
        this.actuals.push(actual);
        obs?.forecast?.(f);
      },
      alert: (raw) => {
        const a = classes === undefined ? raw : classes.annotate(raw);
        this.alerts.push(a);
        obs?.alert?.(a);
        m?.alertEvents.labels(spec.name, a.severity, a.state).inc();
        if (m !== undefined && firing.observe(a)) {
          for (const sev of ['warning', 'critical'] as const) m.alertsFiring.labels(spec.name, sev).set(firing.firing[sev]);
        }
      },
      // Every dead letter (source, parser or stream pipeline) passes here once and is counted here only.
      deadLetter: (d) => {
        this.dead.push(d);
        this.rejectedHere?.(d);
        this.warnDeadLetter(d);
        obs?.deadLetter?.(spec.name, d);
        m?.deadLetters.labels(spec.name, 'pipeline', d.code, 'engine').inc();
      },
    };
    this.engine = new PipelineEngine(spec, listener, m ? componentMetrics(m, spec.name, 'pipeline') : undefined);
    this.checkpoints = new RuntimeCheckpoints(spec, this.engine, this.log);
    this.log.info({ inputs: this.engine.inputNames, model: spec.model }, 'Model inputs.');
    const ctx = { pipeline: spec.name, log: this.log, paced: options.paced, data: dataPart(spec), streams: this.engine, metrics: m };
    this.sources = spec.sources.map((s, i) => createSource(s, i, ctx));
    this.sinks = spec.sinks.map((s, i) => createSink(s, i, ctx));
  }

  /** Restores the checkpoint if there is one; returns whether one was found. */
  async restore(): Promise<boolean> {
    // With a Kafka changelog the streams' states live there, restored per partition on assignment.
    const cp = await this.checkpoints.restore();
    if (cp === undefined) return false;
    Object.assign(this.positions, cp.sources);
    this.restoredRetraining = cp.retraining;
    if (cp.fitWindow !== undefined) this.setFitWindow(cp.fitWindow.steps, cp.fitWindow.streams);
    this.startedFromCheckpoint = true;
    this.log.info({ streams: cp.streams, sources: cp.sources, writtenAt: cp.writtenAt }, 'State restored from checkpoint.');
    return true;
  }

  /** Model weights when there is no checkpoint (see prepare-model.ts). */
  async prepareModel(): Promise<ModelOrigin | 'restored'> {
    if (this.startedFromCheckpoint) return 'restored';
    const files = fileSources(this.spec);
    // The steps the fit trained on are not scored for alerts (in-sample), as in `tidecast replay`.
    return prepareModel(this.spec, this.engine.runner, files, this.log, this.options.metrics, (steps, streams) =>
      this.setFitWindow(steps, streams),
    );
  }

  private setFitWindow(steps: number, streams: readonly string[]): void {
    this.fitWindow = { steps, streams: [...streams] };
    this.engine.setFitWindow(steps, streams);
  }

  /** Starts pulling from every source; resolves when all sources have ended or stop() was called. */
  start(): Promise<void> {
    this.loops = this.sources.map((s) => this.pump(s));
    this.startIdleFlush();
    return Promise.all(this.loops).then(() => this.closeEndedData());
  }

  /**
   * Every source ended by itself (files read to the end): no record can still complete a stream's
   * open step, so the last steps are closed and forecast now rather than never.
   */
  private async closeEndedData(): Promise<void> {
    if (this.abort.signal.aborted) return;
    await this.runBatch('end', closeSteps(this.engine, this.pending), () => this.afterBatch());
    this.log.info({ streams: this.engine.runner.arena.size }, 'Every source ended: the last step of every stream was closed and forecast.');
  }

  /**
   * ordering.idle_flush_ms (live mode): every so often the watermark of every stream advances to
   * now - max_delay_ms on the wall clock, so a stream that went quiet still gets its last steps.
   */
  private startIdleFlush(): void {
    const every = this.spec.ordering.idle_flush_ms;
    if (every === null) return;
    const timer = setInterval(() => {
      this.idleFlush().catch((err: unknown) => this.log.error({ err }, 'Idle flush failed to write its outputs.'));
    }, every);
    timer.unref();
    this.abort.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  /**
   * One idle flush (the timer's work): the watermark of every stream advances to `watermarkMs`
   * (default now - max_delay_ms), and the steps it closes pass alertOn and the sinks as a batch.
   */
  idleFlush(watermarkMs = Date.now() - this.spec.ordering.max_delay_ms): Promise<PipelineBatch> {
    return this.runBatch(
      'idle',
      idleFlush(this.engine, this.pending, () => watermarkMs),
    );
  }

  /** Stops intake, finishes the batch in progress, flushes sinks, checkpoints, closes. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
    // The final checkpoint is retried a few times; if it still fails the daemon must not exit 0.
    let ok = await this.checkpoint();
    for (const wait of FINAL_CHECKPOINT_RETRY_MS) {
      if (ok) break;
      await new Promise((res) => setTimeout(res, wait));
      ok = await this.checkpoint();
    }
    if (!ok) {
      this.finalCheckpointFailed = true;
      this.log.fatal(
        { failure: this.checkpointFailure },
        'The final checkpoint failed: the state on disk is stale, a restart would lose it.',
      );
    }
    await Promise.all(this.sources.map((s) => s.close()));
    await Promise.all(this.sinks.map((s) => s.close()));
  }

  /**
   * Periodic checkpoint if the interval has passed (called by the daemon's timer). After a failure
   * the next attempt comes sooner: 1 s, doubling up to the interval.
   */
  maybeCheckpoint(now: number): Promise<boolean> {
    const f = this.checkpointFailure;
    const interval = this.spec.state.checkpoint_interval_ms;
    const wait = f === undefined ? interval : Math.min(interval, 1_000 * 2 ** Math.min(f.failures - 1, 16));
    if (now - this.lastCheckpoint < wait) return Promise.resolve(true);
    this.lastCheckpoint = now;
    return this.checkpoint();
  }

  /** Writes a checkpoint (after any in progress); resolves false when it failed (never rejects). */
  checkpoint(): Promise<boolean> {
    const next = this.checkpointing.then(() => this.writeCheckpointNow());
    this.checkpointing = next.then(() => undefined);
    return next;
  }

  private checkpointFailed(err: unknown): void {
    const prev = this.checkpointFailure;
    const error = err instanceof Error ? err.message : String(err);
    this.checkpointFailure = { error, failures: (prev?.failures ?? 0) + 1, since: prev?.since ?? Date.now() };
    this.options.metrics?.checkpoints.labels(this.spec.name, 'failed').inc();
    this.options.metrics?.checkpointFailing.labels(this.spec.name).set(1);
    this.log.error(
      { err, failures: this.checkpointFailure.failures },
      'Checkpoint failed; the previous one is kept (stale) and the write is retried.',
    );
  }

  private async writeCheckpointNow(): Promise<boolean> {
    try {
      // State first (synchronously, between batches), then the outputs it claims, then the file.
      const retraining = this.learner?.snapshot?.();
      const sources = { ...this.positions };
      const captured = this.checkpoints.capture({
        sources,
        ...(this.fitWindow && { fitWindow: this.fitWindow }),
        ...(retraining !== undefined && { retraining }),
      });
      await this.flushOutputs(true);
      const written = await this.checkpoints.write(captured, new Date());
      this.options.metrics?.checkpoints.labels(this.spec.name, 'ok').inc();
      this.options.metrics?.checkpointFailing.labels(this.spec.name).set(0);
      if (this.checkpointFailure !== undefined)
        this.log.info({ after: this.checkpointFailure.failures }, 'Checkpoint written again after failures.');
      this.checkpointFailure = undefined;
      this.log.debug({ ...written, sources }, 'Checkpoint written.');
      return true;
    } catch (err) {
      this.checkpointFailed(err);
      return false;
    }
  }

  /** Installs the online-learning hook (see online-learner.ts). */
  setLearner(learner: OnlineLearner | undefined): void {
    this.learner = learner;
  }

  /** Swaps in a learner's candidate between batches. */
  private afterBatch(): void {
    const candidate = this.learner?.afterBatch(this.engine);
    if (candidate === undefined) return;
    if (candidate.applied !== true) this.engine.runner.swap(candidate.model, candidate.version);
    this.options.metrics?.trainingRuns.labels(this.spec.name, 'swapped').inc();
    this.options.observer?.modelSwapped?.(this.spec.name, candidate.version, candidate.validationLoss);
    this.log.info({ version: candidate.version, validationLoss: candidate.validationLoss }, 'Model swapped.');
  }

  /** A warning per error code at most every 10 s: bad data is counted, not logged line by line. */
  private warnDeadLetter(d: DeadLetter): void {
    const now = Date.now();
    if (now - (this.lastWarned.get(d.code) ?? -Infinity) < 10_000) return;
    this.lastWarned.set(d.code, now);
    this.log.warn({ code: d.code, detail: d.detail, origin: d.origin, counts: this.engine.stats.deadLetters }, 'Records dead-lettered.');
  }

  /**
   * Observations from outside the sources (HTTP ingest); resolves when their outputs are written.
   * `rejected` hears every dead letter the engine raises while it takes these in (synchronously, so
   * only this call's records and records they release): HTTP ingest answers exact counts from it.
   */
  async ingestExternal(
    observations: readonly Observation[],
    dead: readonly DeadLetter[],
    rejected?: (d: DeadLetter) => void,
  ): Promise<void> {
    const engine = this.engine;
    // `rejected` hears the engine's dead letters, not the request's own (the parser's, counted by the caller).
    const hear = tap<PipelineBatch>(() => {
      this.rejectedHere = rejected;
    });
    const stages: MonoTypeOperatorFunction<PipelineBatch> = (b$) =>
      b$.pipe(intake(engine), hear, features(engine), forecast(engine, this.pending));
    await this.runBatch('http', stages, undefined, { observations, deadLetters: dead });
  }

  /**
   * One batch that no source paces (HTTP ingest, the idle flush, the end of the data) through
   * `stages`, alertOn, the sinks and commit, as a source's batches go. The stages up to alertOn run
   * synchronously inside this call; the promise settles when the outputs are written (rejects when
   * they could not be).
   */
  private runBatch(
    name: string,
    stages: MonoTypeOperatorFunction<PipelineBatch>,
    after?: () => void,
    input: PipelineBatch['input'] = { observations: [], deadLetters: [] },
  ): Promise<PipelineBatch> {
    const m = this.options.metrics;
    try {
      return lastValueFrom(
        of(pipelineBatch(name, input)).pipe(
          stages,
          alertOn(this.engine.alerting, this.pending),
          tap(({ outputs }) => {
            m?.forecasts.labels(this.spec.name).inc(outputs.forecasts.length);
            after?.();
          }),
          toSinks(this.sinks, this.deliverOptions(false)),
          commit(),
        ),
      );
    } finally {
      this.rejectedHere = undefined;
    }
  }

  /**
   * One source's pipeline: batches pulled on demand (the source waits while a batch is in the
   * engine or the sinks), committed only after their outputs are written; ends with the source.
   */
  private pump(source: RuntimeSource): Promise<void> {
    const m = this.options.metrics;
    const name = this.spec.name;
    const signal = this.abort.signal;
    const engine = this.engine;
    let t0 = 0;
    const batches$ = fromSource(source, { signal, from: this.positions[source.name] }).pipe(
      skipStale(), // Kafka: revoked meanwhile; its records go to the partition's owner
      intake(engine),
      tap(({ input }) => {
        m?.receivedEvents.labels(name, source.name).inc(input.observations.length + input.deadLetters.length);
        m?.batchSize.labels(name, 'source').observe(input.observations.length);
        t0 = performance.now();
      }),
      features(engine),
      forecast(engine, this.pending),
      alertOn(engine.alerting, this.pending),
      tap(({ input, outputs }) => {
        m?.stepDuration.labels(name).observe((performance.now() - t0) / 1000);
        if (input.position !== undefined) this.positions[source.name] = input.position;
        m?.forecasts.labels(name).inc(outputs.forecasts.length);
        m?.activeStreams.labels(name).set(engine.runner.arena.size);
        this.afterBatch();
      }),
      toSinks(this.sinks, this.deliverOptions(false)),
      commit({
        signal,
        onRetry: (err) =>
          this.log.warn({ err, source: source.name }, 'Batch outputs or state not written; the batch is undone and redelivered.'),
      }),
    );
    return new Promise<void>((resolve) => {
      batches$.subscribe({
        complete: () => {
          const how = signal.aborted ? 'Source stopped.' : 'Source ended.';
          this.log.info({ source: source.name, position: this.positions[source.name] }, how);
          resolve();
        },
        error: (err: unknown) => {
          if (!signal.aborted) this.log.error({ err, source: source.name }, 'Source failed; its intake stopped.');
          resolve();
        },
      });
    });
  }

  /** The outputs gathered since the last take (the engine listener's), leaving none behind. */
  private readonly pending = {
    take: (): BatchOutputs => {
      const out = { forecasts: this.forecasts, actuals: this.actuals, alerts: this.alerts, deadLetters: this.dead };
      this.forecasts = [];
      this.actuals = [];
      this.alerts = [];
      this.dead = [];
      return out;
    },
  };

  private deliverOptions(durable: boolean): DeliverOptions {
    const m = this.options.metrics;
    // One write call per batch with outputs; empty flushes are not writes.
    const onWrite = m && ((s: OutputSink, ok: boolean) => m.sinkWrites.labels(this.spec.name, s.kind, ok ? 'ok' : 'failed').inc());
    return { signal: this.abort.signal, durable, onWrite };
  }

  /** Outputs not yet taken by a batch (none between batches), counted like a batch's; then the sinks flush. */
  private flushOutputs(durable: boolean): Promise<void> {
    const outputs = this.pending.take();
    this.options.metrics?.forecasts.labels(this.spec.name).inc(outputs.forecasts.length);
    return deliver(outputs, this.sinks, this.deliverOptions(durable));
  }
}

/**
 * model.classify fed from the alert stage, per step in order: the value before the step's alert
 * events are annotated, the forecast after (what the next value's regime is observed against).
 */
function classifierHooks(classes: StreamClassification, spec: PipelineSpec): Pick<EngineListener, 'scoring' | 'scored'> {
  const H = spec.model.horizon;
  // What StreamClassification.forecast reads of a Forecast (key, mean), refilled per step.
  const f = {
    pipeline: spec.name,
    key: '',
    t: 0,
    stepMs: spec.step_ms,
    modelVersion: '',
    mean: new Float64Array(H),
    lower: new Float64Array(0),
    upper: new Float64Array(0),
  };
  return {
    scoring: (s, i) => classes.actual(s.keys[i], s.actual[i], (s.flags[i] & STEP_IMPUTED) !== 0),
    scored: (s, i) => {
      const flags = s.flags[i];
      if ((flags & STEP_FORECAST) === 0) return;
      f.key = s.keys[i];
      f.t = s.t[i];
      for (let h = 0; h < H; h++) f.mean[h] = s.mean[i * H + h];
      classes.forecast(f, (flags & STEP_IMPUTED) !== 0 ? null : s.actual[i]);
    },
  };
}
