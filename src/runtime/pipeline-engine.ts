import { AlertEngine } from '../alerting/alert-engine.js';
import type { AlertEvent } from '../alerting/alert-event.js';
import { scoreFromZ } from '../alerting/normal-tail.js';
import { dataPart, targetField, type PipelineSpec } from '../config/pipeline-schema.js';
import type { DeadLetter, Forecast, Observation } from '../core/types.js';
import { featureCount, featureLayoutFrom, normalised, writeFeatures, type FeatureLayout } from './features.js';
import { grownTo } from './grow.js';
import { ModelRunner } from './model-runner.js';
import { prepOptionsFrom, StreamPrep, type PrepSnapshot } from './stream-prep.js';
import { TickBuffer } from './tick-buffer.js';

// One pipeline's synchronous core: observations -> per-stream grid steps -> batched model step ->
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
  /** 1 - two-sided normal tail probability of the actual under the one-step forecast. */
  readonly score: number;
}

/** Steps of a stream before the model's variance is trusted for scoring. */
export const WARMUP_STEPS = 24;

export interface EngineListener {
  /** Every grid step's value (observed or imputed), before its forecast. */
  actual?(key: string, t: number, value: number, imputed: boolean): void;
  /** Steps that had a one-step forecast. */
  step?(row: StepRow): void;
  forecast?(f: Forecast): void;
  alert?(a: AlertEvent): void;
  deadLetter?(d: DeadLetter): void;
  /** How far behind its stream's newest event time a record arrived (0 when in order), in ms. */
  lateness?(ms: number): void;
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
  readonly prep: PrepSnapshot;
  /** Recurrent state, base64 little-endian float32. */
  readonly state: string;
  /** The one-step forecast pending for the next step: [t, mean, lower, upper] or null. */
  readonly pending: readonly [number, number, number, number] | null;
}

export interface EngineSnapshot {
  readonly pipeline: string;
  readonly inputSize: number;
  readonly stateSize: number;
  readonly streams: readonly StreamSnapshot[];
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
  private readonly layout: FeatureLayout;
  private readonly prep: StreamPrep;
  private readonly ticks: TickBuffer;
  private readonly intervalZ: number;
  /** Per slot: steps emitted in the current batch (their model round). */
  private rounds = new Int32Array(0);
  private touched: number[] = [];
  private pendingT = new Float64Array(0);
  private pendingMean = new Float64Array(0);
  private pendingLower = new Float64Array(0);
  private pendingUpper = new Float64Array(0);
  private order = new Int32Array(0);
  private batchSlots = new Int32Array(0);
  private batchX = new Float32Array(0);
  private batchY = new Float32Array(0);

  constructor(readonly spec: PipelineSpec, readonly listener: EngineListener = {}) {
    this.name = spec.name;
    this.stepMs = spec.step_ms;
    this.horizon = spec.model.horizon;
    this.target = targetField(spec);
    this.layout = featureLayoutFrom(spec.features);
    const inputSize = featureCount(this.layout);
    this.runner = new ModelRunner(spec.model, inputSize);
    this.alerts = new AlertEngine(spec.name, spec.alerting);
    this.ticks = new TickBuffer(inputSize);
    this.intervalZ = spec.model.interval_z;
    this.prep = new StreamPrep(prepOptionsFrom(dataPart(spec), this.target), (slot, t, v, prev, imputed, reset, mean, std, seen) => {
      const round = this.rounds[slot]++;
      if (round === 0) this.touched.push(slot);
      const i = this.ticks.add(slot, t, v, imputed, reset, mean, std, round, seen);
      writeFeatures(this.layout, this.ticks.x, i * inputSize, t, v, prev, imputed, mean, std);
    });
  }

  /** Names of the model's inputs, in order. */
  get inputNames(): string[] {
    const l = this.layout;
    return [this.target, ...(l.delta ? [`${this.target}_diff1`] : []), ...(l.imputed ? [`${this.target}_imputed`] : []), ...l.calendar.flatMap((c) => [`${c}_sin`, `${c}_cos`])];
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
  }

  /** Closes every stream's open steps (end of a replay) and processes them. */
  flush(): void {
    for (const key of [...this.keys()]) this.prep.flush(this.slotOf(key));
    this.run();
  }

  snapshot(): EngineSnapshot {
    const streams: StreamSnapshot[] = [];
    for (const key of this.keys()) {
      const slot = this.runner.arena.peek(key);
      const state = this.runner.arena.exportState(key) as Uint8Array;
      const pending = Number.isNaN(this.pendingT[slot]) ? null : ([this.pendingT[slot], this.pendingMean[slot], this.pendingLower[slot], this.pendingUpper[slot]] as const);
      streams.push({ key, prep: this.prep.snapshot(slot), state: Buffer.from(state).toString('base64'), pending });
    }
    return { pipeline: this.name, inputSize: this.runner.inputSize, stateSize: this.runner.arena.stateSize, streams };
  }

  restore(s: EngineSnapshot): void {
    for (const st of s.streams) {
      const slot = this.runner.arena.importState(st.key, new Uint8Array(Buffer.from(st.state, 'base64')));
      this.ensure(slot);
      this.prep.restore(slot, st.prep);
      this.pendingT[slot] = st.pending?.[0] ?? NaN;
      this.pendingMean[slot] = st.pending?.[1] ?? NaN;
      this.pendingLower[slot] = st.pending?.[2] ?? NaN;
      this.pendingUpper[slot] = st.pending?.[3] ?? NaN;
    }
  }

  private slotOf(key: string): number {
    const slot = this.runner.slotOf(key);
    this.ensure(slot);
    return slot;
  }

  private ensure(slot: number): void {
    if (this.rounds.length > slot) return;
    const n = slot + 1;
    this.prep.ensure(slot);
    this.rounds = grownTo(this.rounds, n);
    this.pendingT = grownTo(this.pendingT, this.rounds.length, NaN);
    this.pendingMean = grownTo(this.pendingMean, this.rounds.length);
    this.pendingLower = grownTo(this.pendingLower, this.rounds.length);
    this.pendingUpper = grownTo(this.pendingUpper, this.rounds.length);
  }

  private accept(o: Observation): void {
    this.stats.observations++;
    const v = o.fields[this.target];
    if (v === undefined) {
      this.deadLetter({ record: o, code: 'schema_mismatch', detail: `no field "${this.target}"`, origin: o.origin });
      return;
    }
    if (!Number.isFinite(v) || !Number.isFinite(o.eventTime)) {
      this.deadLetter({ record: o, code: 'non_finite', detail: `value ${v} at time ${o.eventTime}`, origin: o.origin });
      return;
    }
    const slot = this.slotOf(o.key);
    const newest = this.prep.newest(slot);
    this.listener.lateness?.(newest > o.eventTime ? newest - o.eventTime : 0);
    if (!this.prep.push(slot, o.eventTime, v)) {
      this.deadLetter({ record: o, code: 'late_record', detail: `step of ${new Date(o.eventTime).toISOString()} already emitted`, origin: o.origin });
    }
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
    const m = ticks.mean[i];
    const sd = ticks.std[i];
    const zNow = normalised(actual, m, sd);
    const H = this.horizon;
    const mean = new Float64Array(H);
    const lower = new Float64Array(H);
    const upper = new Float64Array(H);
    const logVar = new Float64Array(H);
    for (let h = 0; h < H; h++) {
      const lv = Math.min(10, Math.max(-10, this.batchY[yOff + 2 * h + 1]));
      const mu = m + sd * (zNow + this.batchY[yOff + 2 * h]);
      const sigma = sd * Math.exp(0.5 * lv);
      mean[h] = mu;
      lower[h] = mu - this.intervalZ * sigma;
      upper[h] = mu + this.intervalZ * sigma;
      logVar[h] = lv + 2 * Math.log(sd);
    }
    this.stats.steps++;
    this.listener.actual?.(key, t, actual, imputed);
    if (this.pendingT[slot] === t) {
      const sigma = (this.pendingUpper[slot] - this.pendingLower[slot]) / (2 * this.intervalZ);
      const z = sigma > 0 ? (actual - this.pendingMean[slot]) / sigma : 0;
      this.listener.step?.({
        pipeline: this.name, key, t, actual, imputed,
        forecast: this.pendingMean[slot], lower: this.pendingLower[slot], upper: this.pendingUpper[slot], score: scoreFromZ(z),
      });
    }
    const forecast: Forecast = { pipeline: this.name, key, t, stepMs: this.stepMs, modelVersion: this.runner.version, mean, lower, upper };
    // Until the normaliser has seen a few steps its scale is unreliable: the alert engine then uses
    // its own warmed-up residual scale instead of the model's variance.
    const input = ticks.seen[i] >= WARMUP_STEPS ? { ...forecast, logVar } : forecast;
    const events = this.alerts.step(key, t, this.stepMs, actual, imputed, input);
    for (const e of events) {
      this.stats.alerts++;
      this.listener.alert?.(e);
    }
    this.pendingT[slot] = t + this.stepMs;
    this.pendingMean[slot] = mean[0];
    this.pendingLower[slot] = lower[0];
    this.pendingUpper[slot] = upper[0];
    this.stats.forecasts++;
    this.listener.forecast?.(forecast);
  }
}
