import { AlertEngine } from '../alerting/alert-engine.js';
import type { AlertStreamSnapshot } from '../alerting/alert-engine.js';
import type { AlertEvent } from '../alerting/alert-event.js';
import { targetField, type PipelineSpec } from '../config/pipeline-schema.js';
import type { DeadLetter, Forecast, Observation } from '../core/types.js';
import type { ComponentMetrics } from '../operators/context.js';
import type { FeatureStep } from '../operators/feature-step.js';
import type { StreamProcessor } from '../operators/stream-processor.js';
import { grownTo } from './grow.js';
import { ModelRunner } from './model-runner.js';
import { OnlineHead, type HeadRow, type OnlineHeadSnapshot } from './online-head.js';
import { fromLevel, shapingFor, stepLevel, type Shaping } from './shaping.js';
import { TickBuffer } from './tick-buffer.js';

// One pipeline's synchronous core: observations -> the stream pipeline (src/operators'
// StreamProcessor: order, resample, impute, normalise, features) -> batched model step ->
// denormalised forecasts -> alerting. Every stream's results depend only on that stream's records,
// never on how they were batched, which is what makes a restored run equal an uninterrupted one.

/** One scored step: the actual and what was forecast one step earlier for it. */
export interface StepRow {
  readonly pipeline: string;
  readonly key: string;
  readonly t: number;
  readonly actual: number;
  readonly imputed: boolean;
  readonly forecast: number;
  readonly lower: number;
  readonly upper: number;
  /**
   * The alert engine's calibrated anomaly score of this step (AlertEngine.lastScore: 1 - two-sided
   * tail probability of the calibrated z); NaN when it did not score the step (imputed, warming up).
   */
  readonly score: number;
}

/** Steps of a stream before the model's variance is trusted for scoring. */
export const WARMUP_STEPS = 24;

export interface EngineListener {
  /** Every grid step's value (observed or imputed), before its forecast. */
  actual?(key: string, t: number, value: number, imputed: boolean): void;
  /** Steps that had a one-step forecast. */
  step?(row: StepRow): void;
  /** A forecast made at f.t, with the value observed at f.t (null where imputed). */
  forecast?(f: Forecast, actual: number | null): void;
  alert?(a: AlertEvent): void;
  deadLetter?(d: DeadLetter): void;
  /** How far behind its stream's newest event time a record arrived (0 when in order), in ms. */
  lateness?(ms: number): void;
  /** Streams stepped together in one batched model call. */
  modelBatch?(size: number): void;
  /** model.online_head: each row it learned from, with its forecasts (a reused view). */
  headRow?(row: HeadRow): void;
}

/** Sees every stepped row with its model inputs and outputs (background retraining's replay buffer). */
export interface StepTap {
  step(key: string, ticks: TickBuffer, i: number, y: Float32Array, yOff: number): void;
}

export interface EngineStats {
  observations: number;
  steps: number;
  forecasts: number;
  alerts: number;
  deadLetters: Record<string, number>;
  batches: number;
  lastBatchSize: number;
}

export interface StreamSnapshot {
  readonly key: string;
  /** The stream pipeline's state (StreamProcessor.snapshot), base64; null before its first record. */
  readonly shape: string | null;
  /** Grid steps the stream has emitted (warm-up of the model's variance). */
  readonly seen: number;
  /** Newest event time seen (lateness metric); null before the first record. */
  readonly newest: number | null;
  /** Recurrent state, base64 little-endian float32. */
  readonly state: string;
  /** The one-step forecast pending for the next step: [t, mean, lower, upper] or null. */
  readonly pending: readonly [number, number, number, number] | null;
  /** The stream's alert scoring and rule state (AlertEngine.exportStream); absent in older checkpoints. */
  readonly alerts?: AlertStreamSnapshot | null;
}

export interface EngineSnapshot {
  readonly pipeline: string;
  readonly inputSize: number;
  readonly stateSize: number;
  readonly streams: readonly StreamSnapshot[];
  /** model.online_head's state (absent without a head). */
  readonly head?: OnlineHeadSnapshot;
}

export class PipelineEngine {
  readonly name: string;
  readonly stepMs: number;
  readonly horizon: number;
  readonly target: string;
  readonly runner: ModelRunner;
  readonly alerts: AlertEngine;
  /** Optional hook after each batched step (see StepTap); undefined costs nothing. */
  stepTap: StepTap | undefined = undefined;
  readonly stats: EngineStats = { observations: 0, steps: 0, forecasts: 0, alerts: 0, deadLetters: {}, batches: 0, lastBatchSize: 0 };
  readonly processor: StreamProcessor;
  /** The multivariate online head (model.online_head), fed every step's target value. */
  readonly head: OnlineHead | undefined;
  private readonly shaping: Shaping;
  private readonly ticks: TickBuffer;
  private readonly onStep: (step: FeatureStep) => void;
  /** Per slot: grid steps emitted, and the newest event time (NaN before the first record). */
  private seen = new Float64Array(0);
  private newest = new Float64Array(0);
  private readonly intervalZ: number;
  /** Per slot: steps emitted in the current batch (their model round). */
  private rounds = new Int32Array(0);
  private touched: number[] = [];
  private pendingT = new Float64Array(0);
  private pendingMean = new Float64Array(0);
  private pendingLower = new Float64Array(0);
  private pendingUpper = new Float64Array(0);
  /** The alert engine's input with the model's variance, refilled per forecast (it copies what it keeps). */
  private readonly alertInput: { t: number; stepMs: number; modelVersion: string; mean: Float64Array; lower: Float64Array; upper: Float64Array; logVar: Float64Array };
  private order = new Int32Array(0);
  private batchSlots = new Int32Array(0);
  private batchX = new Float32Array(0);
  private batchY = new Float32Array(0);

  /** metrics: the stream pipeline's counters (imputed steps, broken gaps, late accepted, ...), per batch. */
  constructor(readonly spec: PipelineSpec, readonly listener: EngineListener = {}, metrics?: ComponentMetrics) {
    this.name = spec.name;
    this.stepMs = spec.step_ms;
    this.horizon = spec.model.horizon;
    const none = new Float64Array(0);
    this.alertInput = { t: 0, stepMs: 0, modelVersion: '', mean: none, lower: none, upper: none, logVar: new Float64Array(this.horizon) };
    this.target = targetField(spec);
    // The processor's dead letters come back through the engine (counted once, by its listener).
    this.shaping = shapingFor(spec, (d) => this.deadLetter(d as DeadLetter), metrics);
    this.processor = this.shaping.processor;
    const inputSize = this.shaping.inputSize;
    this.runner = new ModelRunner(spec.model, inputSize, spec.batching.max_batch);
    this.alerts = new AlertEngine(spec.name, spec.alerting);
    this.ticks = new TickBuffer(inputSize);
    this.intervalZ = spec.model.interval_z;
    const headSection = spec.model.online_head;
    this.head = headSection === undefined ? undefined : new OnlineHead(spec, headSection, (row) => this.listener.headRow?.(row));
    const { field } = this.shaping;
    this.onStep = (step) => {
      const slot = this.slotOf(step.key);
      const round = this.rounds[slot]++;
      if (round === 0) this.touched.push(slot);
      const seen = ++this.seen[slot];
      const value = (step.values as Float64Array)[field];
      // A stream's first step and a step after an unfilled gap start the recurrent state afresh.
      const i = this.ticks.add(slot, step.t, value, step.imputed[field] === 1, step.broken || seen === 1, round, seen);
      // The level and the normaliser after this step: taken now, not when the batch is stepped.
      stepLevel(this.shaping, step, this.ticks, i);
      this.ticks.x.set(step.x, i * inputSize);
      this.head?.push(step.key, step.t, value, step.imputed[field] === 1);
    };
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

  /** Processes a batch of observations to completion (synchronously). */
  ingest(observations: readonly Observation[]): void {
    this.stats.batches++;
    this.stats.lastBatchSize = observations.length;
    for (const o of observations) this.accept(o);
    this.run();
    this.processor.reportMetrics();
  }

  /** Closes every stream's open steps (end of a replay) and processes them. */
  flush(): void {
    this.processor.flush(this.onStep);
    this.head?.flush();
    this.run();
    this.processor.reportMetrics();
  }

  /** Live idle flush: releases records and closes steps the watermark has passed, then processes them. */
  advanceWatermark(watermarkMs: number): void {
    this.processor.advanceWatermark(watermarkMs, this.onStep);
    this.run();
    this.processor.reportMetrics();
  }

  snapshot(): EngineSnapshot {
    const streams: StreamSnapshot[] = [];
    for (const key of this.keys()) streams.push(this.snapshotOf(key));
    const head = this.head?.snapshot();
    return { pipeline: this.name, inputSize: this.runner.inputSize, stateSize: this.runner.arena.stateSize, streams, ...(head === undefined ? {} : { head }) };
  }

  private snapshotOf(key: string): StreamSnapshot {
    const slot = this.runner.arena.peek(key);
    const state = this.runner.arena.exportState(key) as Uint8Array;
    const pending = Number.isNaN(this.pendingT[slot]) ? null : ([this.pendingT[slot], this.pendingMean[slot], this.pendingLower[slot], this.pendingUpper[slot]] as const);
    const shape = this.processor.snapshot(key);
    return {
      key, shape: shape === undefined ? null : Buffer.from(shape).toString('base64'), seen: this.seen[slot],
      newest: Number.isNaN(this.newest[slot]) ? null : this.newest[slot],
      state: Buffer.from(state).toString('base64'), pending, alerts: this.alerts.exportStream(key),
    };
  }

  /**
   * Restores every stream; returns the keys whose alert state did not fit the current alerting
   * section (rules changed): those streams' alerting starts fresh.
   */
  restore(s: EngineSnapshot): string[] {
    const alertsDropped: string[] = [];
    for (const st of s.streams) {
      const slot = this.runner.arena.importState(st.key, new Uint8Array(Buffer.from(st.state, 'base64')));
      this.ensure(slot);
      if (st.shape !== null) this.processor.restore(st.key, new Uint8Array(Buffer.from(st.shape, 'base64')));
      this.seen[slot] = st.seen;
      this.newest[slot] = st.newest ?? NaN;
      this.pendingT[slot] = st.pending?.[0] ?? NaN;
      this.pendingMean[slot] = st.pending?.[1] ?? NaN;
      this.pendingLower[slot] = st.pending?.[2] ?? NaN;
      this.pendingUpper[slot] = st.pending?.[3] ?? NaN;
      if (st.alerts && !this.alerts.importStream(st.key, st.alerts)) alertsDropped.push(st.key);
    }
    if (s.head !== undefined) this.head?.restore(s.head);
    return alertsDropped;
  }

  /** One stream's snapshot (as in snapshot()), or undefined for a stream the engine does not hold. */
  exportStream(key: string): StreamSnapshot | undefined {
    if (this.runner.arena.peek(key) < 0) return undefined;
    return this.snapshotOf(key);
  }

  /** Restores one stream from exportStream; false when its alert state did not fit (alerting starts fresh). */
  importStream(st: StreamSnapshot): boolean {
    if (st.shape === null) this.processor.evict(st.key); // no pipeline state yet: none left over either
    if (!st.alerts) this.alerts.dropStream(st.key); // likewise no alert state
    return this.restore({ pipeline: this.name, inputSize: this.runner.inputSize, stateSize: this.runner.arena.stateSize, streams: [st] }).length === 0;
  }

  /**
   * Forgets a stream (its Kafka partition moved to another instance); its slot is reused, and so is
   * its alert scoring slot.
   */
  dropStream(key: string): boolean {
    const slot = this.runner.arena.peek(key);
    if (slot < 0) return false;
    this.seen[slot] = 0;
    this.newest[slot] = NaN;
    this.pendingT[slot] = NaN;
    this.processor.evict(key);
    this.alerts.dropStream(key);
    return this.runner.arena.release(key);
  }

  private slotOf(key: string): number {
    const slot = this.runner.slotOf(key);
    this.ensure(slot);
    return slot;
  }

  private ensure(slot: number): void {
    if (this.rounds.length > slot) return;
    const n = slot + 1;
    this.rounds = grownTo(this.rounds, n);
    this.seen = grownTo(this.seen, this.rounds.length);
    this.newest = grownTo(this.newest, this.rounds.length, NaN);
    this.pendingT = grownTo(this.pendingT, this.rounds.length, NaN);
    this.pendingMean = grownTo(this.pendingMean, this.rounds.length);
    this.pendingLower = grownTo(this.pendingLower, this.rounds.length);
    this.pendingUpper = grownTo(this.pendingUpper, this.rounds.length);
  }

  private accept(o: Observation): void {
    this.stats.observations++;
    // The processor validates and dead-letters. A record with a key and a time gets the stream a slot
    // now (before it emits a step), so that a checkpoint holds the records the processor still holds.
    if (typeof o?.key === 'string' && o.key !== '' && Number.isFinite(o.eventTime)) {
      const slot = this.slotOf(o.key);
      const newest = this.newest[slot];
      this.listener.lateness?.(newest > o.eventTime ? newest - o.eventTime : 0);
      if (!(newest >= o.eventTime)) this.newest[slot] = o.eventTime;
    }
    this.processor.push(o, this.onStep);
  }

  /** Steps the model over the buffered grid steps, one round (at most one step per stream) at a time. */
  private run(): void {
    const ticks = this.ticks;
    const n = ticks.count;
    if (n === 0) return;
    let maxRound = 0;
    for (let i = 0; i < n; i++) if (ticks.round[i] > maxRound) maxRound = ticks.round[i];
    // Counting sort by round, stable: emission order within a round.
    const starts = new Int32Array(maxRound + 2);
    for (let i = 0; i < n; i++) starts[ticks.round[i] + 1]++;
    for (let r = 1; r <= maxRound + 1; r++) starts[r] += starts[r - 1];
    this.order = grownTo(this.order, n);
    const fill = starts.slice();
    for (let i = 0; i < n; i++) this.order[fill[ticks.round[i]]++] = i;
    for (let r = 0; r <= maxRound; r++) this.stepRound(starts[r], starts[r + 1]);
    for (const slot of this.touched) this.rounds[slot] = 0;
    this.touched.length = 0;
    ticks.count = 0;
  }

  private stepRound(from: number, to: number): void {
    const count = to - from;
    const ticks = this.ticks;
    const inSize = this.runner.inputSize;
    const w = this.runner.outputWidth;
    this.batchSlots = grownTo(this.batchSlots, count);
    this.batchX = grownTo(this.batchX, count * inSize);
    this.batchY = grownTo(this.batchY, count * w);
    for (let j = 0; j < count; j++) {
      const i = this.order[from + j];
      const slot = ticks.slot[i];
      if (ticks.reset[i] === 1) this.runner.arena.reset(slot);
      this.batchSlots[j] = slot;
      for (let k = 0; k < inSize; k++) this.batchX[j * inSize + k] = ticks.x[i * inSize + k];
    }
    this.runner.step(this.batchSlots, count, this.batchX, this.batchY);
    this.listener.modelBatch?.(count);
    const tap = this.stepTap;
    if (tap !== undefined) {
      for (let j = 0; j < count; j++) tap.step(this.runner.arena.keyOf(this.batchSlots[j]) as string, ticks, this.order[from + j], this.batchY, j * w);
    }
    for (let j = 0; j < count; j++) this.emit(this.order[from + j], j * w);
  }

  private emit(i: number, yOff: number): void {
    const ticks = this.ticks;
    const slot = ticks.slot[i];
    const key = this.runner.arena.keyOf(slot) as string;
    const t = ticks.t[i];
    const actual = ticks.value[i];
    const imputed = ticks.imputed[i] === 1;
    // The model forecasts the change of the level (transformed value) in units of the normaliser's
    // scale, and its log-variance; the interval is central in level space and mapped back.
    const u = ticks.level[i];
    const sd = ticks.scale[i];
    const tr = this.shaping.transform;
    const H = this.horizon;
    const mean = new Float64Array(H);
    const lower = new Float64Array(H);
    const upper = new Float64Array(H);
    for (let h = 0; h < H; h++) {
      const lv = Math.min(10, Math.max(-10, this.batchY[yOff + 2 * h + 1]));
      const mu = u + sd * this.batchY[yOff + 2 * h];
      const sigma = sd * Math.exp(0.5 * lv);
      mean[h] = fromLevel(tr, mu);
      lower[h] = fromLevel(tr, mu - this.intervalZ * sigma);
      upper[h] = fromLevel(tr, mu + this.intervalZ * sigma);
    }
    this.stats.steps++;
    this.listener.actual?.(key, t, actual, imputed);
    // No forecast where the level is unknown (a log transform of a value that is not > 0 is dead-lettered).
    const forecast: Forecast | undefined = Number.isFinite(mean[0])
      ? { pipeline: this.name, key, t, stepMs: this.stepMs, modelVersion: this.runner.version, mean, lower, upper }
      : undefined;
    let input: Forecast | typeof this.alertInput | undefined = forecast;
    // Until the stream has a few steps its scale is unreliable: the alert engine then uses its own
    // warmed-up residual scale instead of the model's variance (data units, from the interval).
    if (forecast !== undefined && ticks.seen[i] >= WARMUP_STEPS) {
      const a = this.alertInput;
      a.t = t;
      a.stepMs = forecast.stepMs;
      a.modelVersion = forecast.modelVersion;
      a.mean = mean;
      a.lower = lower;
      a.upper = upper;
      for (let h = 0; h < H; h++) a.logVar[h] = 2 * Math.log((upper[h] - lower[h]) / (2 * this.intervalZ));
      input = a;
    }
    const events = this.alerts.step(key, t, this.stepMs, actual, imputed, input);
    if (this.pendingT[slot] === t) {
      const s = this.alerts.lastScore;
      this.listener.step?.({
        pipeline: this.name, key, t, actual, imputed,
        forecast: this.pendingMean[slot], lower: this.pendingLower[slot], upper: this.pendingUpper[slot], score: s.scored ? s.score : NaN,
      });
    }
    for (const e of events) {
      this.stats.alerts++;
      this.listener.alert?.(e);
    }
    if (forecast === undefined) {
      this.pendingT[slot] = NaN;
      return;
    }
    this.pendingT[slot] = t + this.stepMs;
    this.pendingMean[slot] = mean[0];
    this.pendingLower[slot] = lower[0];
    this.pendingUpper[slot] = upper[0];
    this.stats.forecasts++;
    this.listener.forecast?.(forecast, imputed ? null : actual);
  }
}
