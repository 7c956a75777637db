import type { AlertEngine } from '../alerting/alert-engine.js';
import { targetField, type PipelineSpec } from '../config/pipeline-schema.js';
import type { DeadLetter, Observation } from '../core/types.js';
import type { ComponentMetrics } from '../operators/context.js';
import type { FeatureStep } from '../operators/feature-step.js';
import type { StreamProcessor } from '../operators/stream-processor.js';
import { AlertStage } from './engine-alert-stage.js';
import { EngineBatchStepper } from './engine-batch-stepper.js';
import { ForecastEmitter } from './engine-forecast-emitter.js';
import { ForecastSteps } from './engine-forecast-steps.js';
import { emptyEngineStats, type EngineListener, type EngineStats, type StepTap } from './engine-listener.js';
import { EngineStreamSlots } from './engine-stream-slots.js';
import { StreamEviction } from './engine-stream-eviction.js';
import {
  restoreStream,
  snapshotStream,
  type EngineSnapshot,
  type EngineStreamParts,
  type StreamSnapshot,
} from './engine-stream-snapshot.js';
import {
  captureStreams,
  changedStreamCount,
  reserveStreams,
  restoreStreams,
  streamRecordLayout,
  type StreamRecordLayout,
} from './engine-stream-records.js';
import type { RecordChunk } from '../state/record-chunks.js';
import { ModelRunner } from './model-runner.js';
import { OnlineHead } from '../forecasting/online-head.js';
import { levelRange, shapingFor, stepLevel, type Shaping } from './shaping.js';
import { readoutOptions } from '../forecasting/readout-settings.js';
import { StreamReadouts } from '../forecasting/stream-readouts.js';
import { TickBuffer } from './tick-buffer.js';

// One pipeline's synchronous core: observations -> the stream pipeline (src/operators'
// StreamProcessor: order, resample, impute, normalise, features) -> batched model step ->
// denormalised forecasts -> alerting. Every stream's results depend only on that stream's records,
// never on how they were batched, which is what makes a restored run equal an uninterrupted one.
// The parts live beside it: engine-batch-stepper (model rounds), engine-forecast-emitter (forecasts,
// each step recorded in engine-forecast-steps), engine-alert-stage (the AlertEngine: scores the
// recorded steps, step rows, alerts), engine-stream-slots (per-stream counters),
// engine-stream-snapshot (checkpoints).
// Two ways in: ingest/step/flush/advanceWatermark forecast and score alerts in one call; composed
// pipelines call the stages apart (shape, forecastSteps, then alerting.score(): src/pipeline's
// features, forecast and alertOn operators), each over a whole batch.

// The engine's public types, re-exported so that importers keep one module to import from.
export { WARMUP_STEPS } from './engine-forecast-emitter.js';
export type { EngineListener, EngineStats, StepRow, StepTap } from './engine-listener.js';
export type { EngineSnapshot, StreamSnapshot } from './engine-stream-snapshot.js';

export class PipelineEngine {
  readonly name: string;
  readonly stepMs: number;
  readonly horizon: number;
  readonly target: string;
  readonly runner: ModelRunner;
  /** The alert stage (the alertOn operator's): scores the steps each forecast call recorded. */
  readonly alerting: AlertStage;
  /** The alert stage's AlertEngine (silences, checkpoints of alert state). */
  readonly alerts: AlertEngine;
  /** Optional hook after each batched step (see StepTap); undefined costs nothing. */
  stepTap: StepTap | undefined = undefined;
  readonly stats: EngineStats = emptyEngineStats();
  readonly processor: StreamProcessor;
  /** The multivariate online head (model.online_head), fed every step's target value. */
  readonly head: OnlineHead | undefined;
  /** The served forecaster's online readouts (model.forecaster hybrid / readout). */
  readonly readouts: StreamReadouts | undefined;
  /** Idle streams out of memory (limits.evict_idle_steps / max_resident_streams); undefined when off. */
  readonly eviction: StreamEviction | undefined;
  private readonly shaping: Shaping;
  private readonly ticks: TickBuffer;
  private readonly slots = new EngineStreamSlots();
  private readonly stepper: EngineBatchStepper;
  private readonly emitter: ForecastEmitter;
  /** What snapshotStream / restoreStream read and write. */
  private readonly streamParts: EngineStreamParts;
  private readonly onStep: (step: FeatureStep) => void;

  /** metrics: the stream pipeline's counters (imputed steps, broken gaps, late accepted, ...), per batch. */
  constructor(
    readonly spec: PipelineSpec,
    readonly listener: EngineListener = {},
    metrics?: ComponentMetrics,
  ) {
    this.name = spec.name;
    this.stepMs = spec.step_ms;
    this.horizon = spec.model.horizon;
    this.target = targetField(spec);
    // The processor's dead letters come back through the engine (counted once, by its listener).
    this.shaping = shapingFor(spec, (d) => this.deadLetter(d as DeadLetter), metrics);
    this.processor = this.shaping.processor;
    const inputSize = this.shaping.inputSize;
    this.runner = new ModelRunner(spec.model, inputSize, spec.batching.max_batch);
    const steps = new ForecastSteps(spec.model.horizon);
    this.alerting = new AlertStage(spec.name, spec.alerting, spec.step_ms, steps, this.listener, this.stats);
    this.alerts = this.alerting.alerts;
    this.ticks = new TickBuffer(inputSize);
    const headSection = spec.model.online_head;
    this.head = headSection === undefined ? undefined : new OnlineHead(spec, headSection, (row) => this.listener.headRow?.(row));
    const readoutSettings = readoutOptions(spec.model, spec.step_ms);
    this.readouts = readoutSettings === undefined ? undefined : new StreamReadouts(readoutSettings);
    const emitter = new ForecastEmitter({
      pipeline: this.name,
      stepMs: this.stepMs,
      horizon: this.horizon,
      intervalZ: spec.model.interval_z,
      transform: this.shaping.transform,
      runner: this.runner,
      steps,
      listener: this.listener,
      stats: this.stats,
      pending: this.slots.pending,
      readouts: this.readouts,
      range: levelRange(spec.model.range),
    });
    this.emitter = emitter;
    this.stepper = new EngineBatchStepper(this.ticks, this.runner, emitter, this.listener, this);
    this.streamParts = { runner: this.runner, processor: this.processor, alerts: this.alerts, slots: this.slots, readouts: this.readouts };
    this.eviction = StreamEviction.forSpec(spec, this.streamParts, metrics);
    const { field } = this.shaping;
    const slots = this.slots;
    this.onStep = (step) => {
      const slot = this.slotOf(step.key);
      const round = slots.nextRound(slot);
      const seen = ++slots.seen[slot];
      const value = (step.values as Float64Array)[field];
      // A stream's first step and a step after an unfilled gap start the recurrent state afresh.
      const i = this.ticks.add(slot, step.t, value, step.imputed[field] === 1, step.broken || seen === 1, round, seen);
      // The level and the normaliser after this step: taken now, not when the batch is stepped.
      stepLevel(this.shaping, step, this.ticks, i);
      this.ticks.x.set(step.x, i * inputSize);
      this.head?.push(step.key, step.t, value, step.imputed[field] === 1);
    };
  }

  /**
   * The offline fit trained on the first `steps` steps of `streams`: the alert engine leaves those
   * steps unscored (their StepRows have no score), as it does imputed ones.
   */
  setFitWindow(steps: number, streams: Iterable<string>): void {
    this.emitter.fitSteps = steps;
    this.emitter.fitStreams = new Set(streams);
  }

  /** Names of the model's inputs, in order. */
  get inputNames(): string[] {
    return [...this.processor.schema.names];
  }

  /** Streams known to the engine. */
  keys(): IterableIterator<string> {
    return this.runner.arena.keys();
  }

  deadLetter(d: DeadLetter): void {
    this.stats.deadLetters[d.code] = (this.stats.deadLetters[d.code] ?? 0) + 1;
    this.listener.deadLetter?.(d);
  }

  /** Processes a batch of observations to completion (synchronously): shape, then step. */
  ingest(observations: readonly Observation[]): void {
    this.shape(observations);
    this.step();
  }

  /**
   * The stream pipeline over a batch (order, resample, impute, normalise, features, fused in the
   * processor): the grid steps it closes wait in the tick buffer for step(). The `features` operator.
   */
  shape(observations: readonly Observation[]): void {
    this.stats.batches++;
    this.stats.lastBatchSize = observations.length;
    for (const o of observations) this.accept(o);
  }

  /** Steps the model over the waiting grid steps: forecasts, step rows and alerts reach the listener. */
  step(): void {
    this.forecastSteps();
    this.alerting.score();
  }

  /**
   * The forecast stage alone (the `forecast` operator): steps the model over the waiting grid steps;
   * actuals and forecasts reach the listener, and each step is recorded for the alert stage, which
   * must score them (alerting.score(), the `alertOn` operator) before the next forecast call.
   */
  forecastSteps(): void {
    this.alerting.steps.clear();
    this.run();
    this.processor.reportMetrics();
  }

  /**
   * Closes every stream's open steps (end of a replay) and processes them; then the alert stage
   * settles what waits for later steps (alerting.flush()): no later step comes.
   */
  flush(): void {
    this.closeSteps();
    this.alerting.score();
    this.alerting.flush();
  }

  /** flush()'s forecast stage alone (the `endOfData` operator; alertOn scores and settles). */
  closeSteps(): void {
    this.slots.allChanged = true; // any stream's held records may have moved on
    this.processor.flush(this.onStep);
    this.head?.flush();
    this.forecastSteps();
  }

  /** Live idle flush: releases records and closes steps the watermark has passed, then processes them. */
  advanceWatermark(watermarkMs: number): void {
    this.releaseSteps(watermarkMs);
    this.alerting.score();
  }

  /** advanceWatermark's forecast stage alone (alertOn scores the steps). */
  releaseSteps(watermarkMs: number): void {
    this.slots.allChanged = true; // any stream's held records may have moved on
    this.processor.advanceWatermark(watermarkMs, this.onStep);
    this.forecastSteps();
  }

  snapshot(): EngineSnapshot {
    const streams: StreamSnapshot[] = [];
    for (const key of this.keys()) streams.push(snapshotStream(this.streamParts, key));
    const head = this.head?.snapshot();
    return {
      pipeline: this.name,
      inputSize: this.runner.inputSize,
      stateSize: this.runner.arena.stateSize,
      streams,
      ...(head === undefined ? {} : { head }),
    };
  }

  /**
   * Restores every stream; returns the keys whose alert state did not fit the current alerting
   * section (rules changed): those streams' alerting starts fresh.
   */
  restore(s: EngineSnapshot): string[] {
    const alertsDropped: string[] = [];
    for (const st of s.streams) if (!restoreStream(this.streamParts, st)) alertsDropped.push(st.key);
    if (s.head !== undefined) this.head?.restore(s.head);
    return alertsDropped;
  }

  /**
   * Binary checkpoint records of every stream, or of the streams changed since the last capture
   * (records, steps; a watermark pass counts as changing all). Clears the change marks.
   */
  captureStreams(changedOnly: boolean): RecordChunk[] {
    return captureStreams(this.streamParts, changedOnly);
  }

  /**
   * Evicts idle streams (limits.evict_idle_steps / max_resident_streams); call between batches, when
   * every step was scored (checkpoints do). Returns how many left memory.
   */
  evictIdle(): number {
    return this.eviction?.sweep() ?? 0;
  }

  /** Streams held: in memory and evicted. */
  get streamCount(): number {
    return this.runner.arena.size + (this.eviction?.size ?? 0);
  }

  /** Streams a captureStreams(true) would hold now. */
  get changedStreams(): number {
    return changedStreamCount(this.streamParts);
  }

  /** What captureStreams' records need to be read back (kept in the checkpoint's meta). */
  get streamRecordLayout(): StreamRecordLayout {
    return streamRecordLayout(this.streamParts);
  }

  /**
   * Restores captured records, newest capture first (a stream's newest record wins); returns the
   * keys whose alert state did not fit the alerting section. Nothing counts as changed afterwards.
   */
  restoreCaptured(newestFirst: readonly (readonly RecordChunk[])[], layout: StreamRecordLayout): string[] {
    const done = newestFirst.length > 1 ? new Set<string>() : undefined;
    const dropped: string[] = [];
    // Room for the base's streams at once (growing slot by slot copies the arrays log2(n) times).
    const base = newestFirst.length > 0 ? newestFirst[newestFirst.length - 1] : [];
    reserveStreams(this.streamParts, this.runner.arena.size + base.reduce((n, c) => n + c.records, 0));
    for (const chunks of newestFirst)
      for (const c of chunks) for (const k of restoreStreams(this.streamParts, layout, c, done)) dropped.push(k);
    this.slots.clearChanged();
    return dropped;
  }

  /** One stream's snapshot (as in snapshot()), or undefined for a stream the engine does not hold. */
  exportStream(key: string): StreamSnapshot | undefined {
    if (this.runner.arena.peek(key) < 0) return undefined;
    return snapshotStream(this.streamParts, key);
  }

  /** Restores one stream from exportStream; false when its alert state did not fit (alerting starts fresh). */
  importStream(st: StreamSnapshot): boolean {
    if (st.shape === null) this.processor.evict(st.key); // no pipeline state yet: none left over either
    if (!st.alerts) this.alerts.dropStream(st.key); // likewise no alert state
    return restoreStream(this.streamParts, st);
  }

  /**
   * Forgets a stream (its Kafka partition moved to another instance); its slot is reused, and so is
   * its alert scoring slot.
   */
  dropStream(key: string): boolean {
    const slot = this.runner.arena.peek(key);
    if (slot < 0) return false;
    this.slots.forget(slot);
    this.readouts?.forget(slot);
    this.processor.evict(key);
    this.alerts.dropStream(key);
    return this.runner.arena.release(key);
  }

  private slotOf(key: string): number {
    const slot = this.runner.slotOf(key);
    this.slots.ensure(slot);
    return slot;
  }

  private accept(o: Observation): void {
    this.stats.observations++;
    // The processor validates and dead-letters. A record with a key and a time gets the stream a slot
    // now (before it emits a step), so that a checkpoint holds the records the processor still holds.
    if (typeof o?.key === 'string' && o.key !== '' && Number.isFinite(o.eventTime)) {
      // An evicted stream comes back (its state from the spill file) before its record is processed.
      if (this.eviction !== undefined && this.runner.arena.peek(o.key) < 0) this.eviction.recall(o.key);
      const slot = this.slotOf(o.key);
      const newest = this.slots.newest[slot];
      this.listener.lateness?.(newest > o.eventTime ? newest - o.eventTime : 0);
      if (!(newest >= o.eventTime)) this.slots.newest[slot] = o.eventTime;
    }
    this.processor.push(o, this.onStep);
  }

  /** Steps the model over the buffered grid steps, one round (at most one step per stream) at a time. */
  private run(): void {
    this.stepper.run();
    this.slots.endBatch();
  }
}
