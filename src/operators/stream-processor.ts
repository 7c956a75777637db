import type { DeadLetter, ErrorCode, Observation } from '../core/types.js';
import { KeySlots } from '../state/key-slots.js';
import { SlotArena } from '../state/slot-arena.js';
import { layoutHashOf, restoreSlot, snapshotFloat64, snapshotSlot } from '../state/slot-snapshot.js';
import type { OperatorContext } from './context.js';
import { FeatureStage } from './feature-stage.js';
import { featureSchema, type FeatureSchema } from './feature-schema.js';
import { MutableFeatureStep, type FeatureStep } from './feature-step.js';
import { ImputeStage } from './impute-stage.js';
import { NormaliseStage } from './normalise-stage.js';
import type { PipelineDataOptions, PipelineDataOptionsInput } from './options.js';
import { ORDER_DUPLICATE_DROPPED, ORDER_DUPLICATE_RELEASED, ORDER_DUPLICATE_REPLACED, ORDER_LATE, OrderStage } from './order-stage.js';
import { ResampleStage } from './resample-stage.js';
import { resolveOptions, TRANSFORM, type ResolvedOptions } from './resolved-options.js';
import { PipelineCounters } from './pipeline-counters.js';
import { invertForecast, type CentreScale, type Interval } from './invert.js';

// The synchronous core of one pipeline: observation -> order -> resample -> impute -> normalise ->
// features, all per stream in one typed-array arena (one slot per stream). No allocation per event
// on the normal path; `emit` gets a reused FeatureStep view (copy it with cloneStep to keep it).

export type EmitFn = (step: FeatureStep) => void;

export class StreamProcessor {
  readonly options: ResolvedOptions;
  readonly schema: FeatureSchema;
  readonly arena: SlotArena;
  readonly counters = new PipelineCounters();
  private readonly slots = new KeySlots();
  private readonly keyOf: string[] = [];
  private readonly order: OrderStage;
  private readonly resample: ResampleStage;
  private readonly impute: ImputeStage;
  private readonly normalise: NormaliseStage;
  private readonly features: FeatureStage;
  private readonly layoutHash: number;
  private readonly vals: Float64Array;
  private readonly z: Float64Array;
  private readonly target: Float64Array;
  private readonly x64: Float64Array;
  private readonly view: MutableFeatureStep;
  private emitFn: EmitFn = () => {};
  private readonly waits: boolean;
  private readonly isTarget: Uint8Array;

  constructor(
    options: PipelineDataOptions | PipelineDataOptionsInput | ResolvedOptions,
    private readonly ctx: OperatorContext,
  ) {
    const o = 'fieldNames' in options ? options : resolveOptions(options);
    this.options = o;
    this.waits = o.maxDelayMs + o.allowedLatenessMs > 0;
    this.isTarget = new Uint8Array(o.fieldCount);
    for (const i of o.targets) this.isTarget[i] = 1;
    this.schema = featureSchema(o);
    const F = o.fieldCount;
    this.order = new OrderStage(o, (slot, t, v, off) => this.onRelease(slot, t, v, off));
    this.resample = new ResampleStage(o, (slot, t, v) => this.impute.push(slot, t, v));
    this.impute = new ImputeStage(o, (slot, t, v, m, broken) => this.onTick(slot, t, v, m, broken));
    this.normalise = new NormaliseStage(o);
    this.features = new FeatureStage(o, this.schema.names.length);
    const stages = [this.order, this.resample, this.impute, this.normalise, this.features];
    this.arena = new SlotArena(
      stages.reduce((a, s) => a + s.size64, 0),
      stages.reduce((a, s) => a + s.size16, 0),
    );
    let o64 = 0;
    let o16 = 0;
    for (const s of stages) {
      s.attach(this.arena, o64, o16);
      o64 += s.size64;
      o16 += s.size16;
    }
    const { input: _input, ...shape } = o.source;
    this.layoutHash = layoutHashOf(JSON.stringify({ shape, s64: this.arena.stride64, s16: this.arena.stride16 }));
    this.vals = new Float64Array(F);
    this.z = new Float64Array(F);
    this.target = new Float64Array(F);
    this.x64 = new Float64Array(this.schema.names.length);
    this.view = new MutableFeatureStep(this.schema.names.length, o.targets.length, F);
  }

  /** Bytes of pipeline state per stream (the arena slot; the key map adds the key string and a Map entry). */
  get bytesPerStream(): number {
    return this.arena.bytesPerSlot;
  }

  get streamCount(): number {
    return this.slots.size;
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  /** One observation; zero or more feature steps come out through `emit`. Bad records are dead-lettered. */
  push(obs: Observation, emit: EmitFn): void {
    this.counters.received++;
    if (obs === null || typeof obs !== 'object') return this.reject(obs, 'schema_mismatch', 'not an observation object');
    const t = obs.eventTime;
    if (typeof t !== 'number' || !Number.isFinite(t)) return this.reject(obs, 'non_finite', `event time is ${String(t)}`);
    if (typeof obs.key !== 'string' || obs.key.length === 0) return this.reject(obs, 'schema_mismatch', 'missing stream key');
    const bad = this.readFields(obs);
    if (bad !== null) return this.reject(obs, bad.code, bad.detail);
    const slot = this.slotFor(obs.key);
    this.emitFn = emit;
    const r = this.order.push(slot, t, this.vals);
    if (r !== 0) this.onOrderResult(r, slot, obs);
    // With no delay and no lateness the open step is always the newest record's: nothing to close.
    else if (this.waits) this.resample.closeBefore(slot, this.order.watermark(slot) - this.options.allowedLatenessMs);
  }

  /** Releases every record the watermark has passed and emits steps that end before it (idle flush). */
  advanceWatermark(watermarkMs: number, emit: EmitFn): void {
    this.emitFn = emit;
    const limit = watermarkMs - this.options.allowedLatenessMs;
    for (const slot of this.slots.slotsInUse()) {
      this.order.drain(slot, watermarkMs);
      this.resample.closeBefore(slot, limit);
    }
  }

  /** End of input: everything held is released and every open step emitted. */
  flush(emit: EmitFn): void {
    this.advanceWatermark(Infinity, emit);
  }

  /** Forecast (normalised mean and std per horizon) of a data field back to data units. */
  denormalise(key: string, fieldIndex: number, mean: ArrayLike<number>, std: ArrayLike<number>, z = 1.959963984540054): Interval {
    const slot = this.slots.find(key);
    const cs = slot < 0 ? null : this.normalise.centreScaleOf(slot, fieldIndex);
    return invertForecast(cs, cs === null ? 0 : cs.transform, this.options.normMethod, mean, std, z);
  }

  /**
   * A data field's statistics after the stream's last step, null for an unknown stream. Taken inside
   * `emit`, `invertForecast(cs, cs.transform, options.normMethod, ...)` later equals `denormalise` then.
   */
  centreScale(key: string, fieldIndex: number): (CentreScale & { readonly transform: number }) | null {
    const slot = this.slots.find(key);
    return slot < 0 ? null : this.normalise.centreScaleOf(slot, fieldIndex);
  }

  snapshot(key: string): Uint8Array | undefined {
    const slot = this.slots.find(key);
    return slot < 0 ? undefined : snapshotSlot(this.arena, slot, this.layoutHash);
  }

  /** Restores a stream from `snapshot` bytes (throws TidecastError state_corrupt if they do not fit). */
  restore(key: string, bytes: Uint8Array): void {
    const slot = this.slotFor(key);
    restoreSlot(this.arena, slot, this.layoutHash, bytes);
  }

  /**
   * True for a known stream that holds no record and has no open step: no watermark pass can emit
   * anything for it, so it may leave memory (idle eviction) and come back unchanged.
   */
  holdsNothing(key: string): boolean {
    const slot = this.slots.find(key);
    return slot >= 0 && this.order.held(slot) === 0 && !this.resample.hasOpenStep(slot);
  }

  /** holdsNothing for a stream's `snapshot` bytes, read in place (a restore may spill the stream unrestored). */
  snapshotHoldsNothing(bytes: Uint8Array): boolean {
    return snapshotFloat64(bytes, this.order.heldIndex) === 0 && Number.isNaN(snapshotFloat64(bytes, this.resample.openIndex));
  }

  /** Forgets a stream; its slot is reused. */
  evict(key: string): boolean {
    return this.slots.release(key) >= 0;
  }

  /** Pushes counter deltas to ctx.metrics (call per batch, not per event). */
  reportMetrics(): void {
    this.counters.overflows += this.order.overflows;
    this.counters.imputedSteps += this.impute.imputedSteps;
    this.counters.brokenGaps += this.impute.brokenGaps;
    this.counters.brokenSteps += this.impute.brokenSteps;
    this.order.overflows = this.impute.imputedSteps = this.impute.brokenGaps = this.impute.brokenSteps = 0;
    this.counters.report(this.ctx.metrics);
  }

  private slotFor(key: string): number {
    const code = this.slots.acquire(key);
    if (code >= 0) return code;
    const slot = -code - 1;
    this.arena.ensure(slot);
    this.keyOf[slot] = key;
    this.order.init(slot);
    this.resample.init(slot);
    this.impute.init(slot);
    this.normalise.init(slot);
    this.features.init(slot);
    return slot;
  }

  private readFields(obs: Observation): { code: ErrorCode; detail: string } | null {
    const names = this.options.fieldNames;
    const fields = obs.fields;
    if (fields === null || typeof fields !== 'object') return { code: 'schema_mismatch', detail: 'fields missing' };
    let found = 0;
    const positive = this.options.transform !== TRANSFORM.none;
    for (let i = 0; i < names.length; i++) {
      const v = fields[names[i]];
      if (v === undefined) {
        this.vals[i] = NaN;
        continue;
      }
      if (typeof v !== 'number' || !Number.isFinite(v)) return { code: 'non_finite', detail: `field "${names[i]}" is ${String(v)}` };
      if (positive && v <= 0 && this.isTarget[i] === 1)
        return { code: 'non_finite', detail: `field "${names[i]}" is ${v}: the log transform needs values > 0` };
      this.vals[i] = v;
      found++;
    }
    let total = 0;
    for (const _ in fields) total++;
    if (total !== found) {
      const unknown = Object.keys(fields).filter((k) => !names.includes(k));
      return {
        code: 'schema_mismatch',
        detail: found === 0 && unknown.length === 0 ? 'no fields' : `unknown field(s) ${unknown.join(', ')}`,
      };
    }
    if (found === 0) return { code: 'schema_mismatch', detail: 'no fields' };
    return null;
  }

  private onOrderResult(r: number, slot: number, obs: Observation): void {
    if (r === ORDER_DUPLICATE_REPLACED) {
      this.counters.replaced++;
      return;
    }
    if (r === ORDER_DUPLICATE_DROPPED) return this.reject(obs, 'duplicate', `duplicate of a held record at ${obs.eventTime}`);
    if (r === ORDER_DUPLICATE_RELEASED) {
      return this.reject(obs, 'duplicate', `duplicate at ${obs.eventTime} arrived after the original was released`);
    }
    if (r === ORDER_LATE) {
      const wm = this.order.watermark(slot);
      if (obs.eventTime >= wm - this.options.allowedLatenessMs && this.resample.add(slot, obs.eventTime, this.vals, 0)) {
        this.counters.lateAccepted++;
        return;
      }
      this.reject(
        obs,
        'late_record',
        `event time ${obs.eventTime} is behind the watermark ${wm} by more than the allowed lateness or its step was emitted`,
      );
    }
  }

  private onRelease(slot: number, t: number, v: Float64Array, off: number): void {
    if (this.resample.add(slot, t, v, off)) return;
    const fields: Record<string, number> = {};
    this.options.fieldNames.forEach((n, i) => {
      if (v[off + i] === v[off + i]) fields[n] = v[off + i];
    });
    this.reject({ key: this.keyOf[slot], eventTime: t, fields }, 'late_record', `its step ${this.resample.stepOf(t)} was already emitted`);
  }

  private onTick(slot: number, t: number, v: Float64Array, mask: Uint8Array, broken: boolean): void {
    const o = this.options;
    this.normalise.apply(slot, v, mask, broken, this.z, this.target);
    this.features.step(slot, t, this.z, mask, broken, this.x64);
    const view = this.view;
    view.key = this.keyOf[slot];
    view.t = t;
    view.broken = broken;
    const x = view.x;
    const x64 = this.x64;
    for (let i = 0; i < x.length; i++) x[i] = x64[i];
    const tg = o.targets;
    for (let j = 0; j < tg.length; j++) view.target[j] = this.target[tg[j]];
    const imp = view.imputed;
    for (let i = 0; i < imp.length; i++) imp[i] = mask[i];
    view.values.set(v);
    this.counters.sent++;
    this.emitFn(view);
  }

  private reject(record: Observation, code: ErrorCode, detail: string): void {
    this.counters.deadLetters++;
    this.ctx.metrics.error(code, 'pipeline', 1);
    const d: DeadLetter<unknown> = { record, code, detail, origin: record?.origin };
    this.ctx.deadLetter(d);
  }

  /** The last Float64 feature vector (before the Float32 copy); for exactness tests. */
  get lastFeatures64(): Float64Array {
    return this.x64;
  }
}
