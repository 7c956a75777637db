import { portableKernels } from '../models/kernels/portable.js';
import { StackedModel } from '../models/stacked-model.js';
import type { StateArena } from '../models/state-arena.js';
import type { ModelCandidate, OnlineLearner } from '../forecasting/online-learner.js';
import type { Logger } from '../telemetry/logger.js';
import type { TidecastMetrics } from '../telemetry/metrics.js';
import type { DataRange, ModelRegistry } from './model-registry.js';
import { ReplayBuffer } from './replay-buffer.js';
import { RetrainSchedule, type RetrainReason, type ScheduleOptions } from './retrain-schedule.js';
import { rewarmRows, rewarmStates, type RewarmSeed } from './rewarm.js';
import { flattenParams, loadParams, type TrainJobRequest, type TrainJobResult, type TrainSettings } from './train-job.js';
import { jobFromSnapshot, jobSnapshot, type JobSnapshot } from './retrainer-snapshot.js';
import type { BufferSnapshot } from './replay-buffer.js';
import type { ScheduleSnapshot } from './retrain-schedule.js';
import type { Trainer, TrainJobHandle } from './worker-trainer.js';

// Background retraining of one pipeline's model. The live path only records steps (replay buffer,
// drift error) and, between two batched steps, applies a swap that is already decided. Training
// runs in the trainer (a worker); the challenger goes live only if its loss on the most recent
// held-out steps beats the champion's on the same steps by the margin. Every run is registered.
// Deterministic (event-time) mode: the schedule is checked every `checkSteps` live steps; a run
// triggered after step K learns from exactly the buffer as of K with a fixed epoch budget and seed,
// and its result is applied right after step K + applyAfterSteps (the engine ends a model call
// there, see StepTap.stepsToEvent), waiting for the worker if needed. Outputs then depend on the
// data alone: two replays, or a replay and the daemon, swap at the same steps.

/** What the retrainer needs of the live model: ModelRunner fits. */
export interface LiveModel {
  readonly model: StackedModel;
  readonly version: string;
  readonly arena: StateArena;
  swap(model: StackedModel, version: string): void;
}

export interface RetrainSettings {
  /** Steps kept per stream, and streams kept, in the replay buffer. */
  readonly bufferSteps: number;
  readonly bufferStreams: number;
  /** Steps per stream in a run's windows, streams per run, and the fewest steps a stream needs. */
  readonly windowSteps: number;
  readonly windowStreams: number;
  readonly minSteps: number;
  readonly train: TrainSettings;
  readonly schedule: ScheduleOptions;
  /** Relative margin: promote when challenger < champion · (1 - margin). */
  readonly margin: number;
  /** Steps replayed through the new weights per stream before a swap; 0 = no re-warm. */
  readonly rewarmSteps: number;
  /** Event-time mode (see above); false: wall-clock triggers, results applied when ready. */
  readonly deterministic: boolean;
  /** Deterministic mode: steps between a run's trigger and the application of its result. */
  readonly applyAfterSteps: number;
  /** Deterministic mode: the schedule is checked after every checkSteps-th live step. */
  readonly checkSteps: number;
}

export interface RetrainRun {
  readonly version: string;
  readonly reason: RetrainReason;
  readonly promoted: boolean;
  readonly why: string;
  readonly seconds: number;
  readonly streams: number;
  readonly steps: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly validationLoss: number;
  readonly championLoss: number;
}

export interface RetrainerOptions {
  readonly pipeline: string;
  readonly live: LiveModel;
  readonly registry: ModelRegistry;
  readonly trainer: Trainer;
  readonly settings: RetrainSettings;
  readonly log?: Logger;
  readonly metrics?: TidecastMetrics;
  readonly now?: () => number;
  /** With Kafka configured: KafkaModelsTopic.publish. */
  readonly publish?: (m: { name: string; version: string; bytes: Uint8Array }) => Promise<void>;
}

interface PendingSwap {
  readonly model: StackedModel;
  readonly version: string;
  readonly validationLoss?: number;
  readonly seed?: RewarmSeed;
}

/** A deterministic run between its trigger and the step its result is applied at. */
interface EventJob {
  readonly req: TrainJobRequest;
  readonly handle: TrainJobHandle;
  readonly applyAt: number;
  readonly reason: RetrainReason;
  readonly parent: string;
  readonly range: DataRange;
  /** The streams and their step counts when the worker's re-warm rows were taken. */
  readonly rows: { readonly keys: readonly string[]; readonly counts: Float64Array } | undefined;
  readonly t0: number;
}

export class Retrainer implements OnlineLearner {
  readonly buffer: ReplayBuffer;
  readonly schedule: RetrainSchedule;
  readonly runs: RetrainRun[] = [];
  private pending: PendingSwap | undefined;
  private running: Promise<RetrainRun | undefined> | undefined;
  private readonly now: () => number;
  private seed = 1;
  /** Live steps seen (all streams): the event clock of the deterministic mode. */
  steps = 0;
  private job: EventJob | undefined;
  /** Swaps the deterministic mode made inside the engine since the last afterBatch. */
  private applied: ModelCandidate | undefined;
  private versions = 0;
  private registering: Promise<void> = Promise.resolve();

  private constructor(readonly o: RetrainerOptions) {
    const m = o.live.model.config;
    this.buffer = new ReplayBuffer({
      inputSize: m.inputSize,
      horizon: m.horizon,
      capacity: o.settings.bufferSteps,
      maxStreams: o.settings.bufferStreams,
    });
    this.now = o.now ?? Date.now;
    this.schedule = new RetrainSchedule(o.settings.schedule, this.now());
    this.versions = o.registry.list().length;
  }

  /**
   * Attaches to the live model. A registry with a live version (a restart) loads it into the live
   * model; an empty one registers the live model as the first version.
   */
  static async create(o: RetrainerOptions): Promise<Retrainer> {
    const r = new Retrainer(o);
    const live = o.registry.live();
    if (live === null) {
      const version = o.registry.nextVersion('initial');
      await o.registry.add(meta(version, null, null, 'initial', true, 'The model the pipeline started with.'), flattenParams(o.live.model));
      o.live.swap(o.live.model, version);
    } else if (live !== o.live.version) {
      o.live.swap(await r.modelOf(live), live);
      o.log?.info({ version: live }, 'Loaded the last promoted model version.');
    }
    return r;
  }

  get registry(): ModelRegistry {
    return this.o.registry;
  }

  get busy(): boolean {
    return this.running !== undefined || this.job !== undefined;
  }

  /** Resolves when no run is in progress and every run is registered. */
  async whenIdle(): Promise<void> {
    while (this.running !== undefined) await this.running;
    await this.registering;
  }

  /** Records one live step (inputs, value, normaliser, the one-step forecast made at it). */
  observe(
    key: string,
    t: number,
    x: Float32Array,
    xOff: number,
    value: number,
    mean: number,
    std: number,
    imputed: boolean,
    reset: boolean,
    pred: number,
  ): void {
    this.schedule.observeStep(this.buffer.push(key, t, x, xOff, value, mean, std, imputed, reset, pred));
    if (!this.o.settings.deterministic) return;
    this.steps++;
    if (this.job === undefined && this.steps % this.o.settings.checkSteps === 0) {
      const reason = this.schedule.due(0);
      if (reason !== undefined) this.trigger(reason);
    }
  }

  /** Deterministic mode: live steps the engine may make before it must call afterSteps(). */
  stepsToEvent(): number {
    const s = this.o.settings;
    if (!s.deterministic) return Infinity;
    if (this.job !== undefined) return this.job.applyAt - this.steps;
    return s.checkSteps - (this.steps % s.checkSteps);
  }

  /** Deterministic mode, called by the engine between model calls: applies a run due at this step. */
  afterSteps(): void {
    const job = this.job;
    if (job !== undefined && this.steps >= job.applyAt) this.apply(job);
  }

  /** OnlineLearner: applies a decided swap, else starts a due run in the background. */
  afterBatch(): ModelCandidate | undefined {
    const swap = this.takePending();
    if (swap !== undefined) return swap;
    if (this.o.settings.deterministic) {
      // Swapped inside the engine already: the runtime only reports it.
      const applied = this.applied;
      this.applied = undefined;
      return applied;
    }
    const reason = this.schedule.due(this.now());
    if (reason !== undefined && this.running === undefined) void this.run(reason);
    return undefined;
  }

  /** For callers that own the live loop themselves: applies a pending swap now. */
  swapIfPending(): boolean {
    const swap = this.takePending();
    if (swap === undefined) return false;
    this.o.live.swap(swap.model, swap.version);
    return true;
  }

  /** One training run now (unless one is running: then that one's result). */
  run(reason: RetrainReason = 'manual'): Promise<RetrainRun | undefined> {
    this.running ??= this.runOnce(reason).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Makes a registered version live at the next swap point. */
  async promote(version: string): Promise<void> {
    const model = await this.modelOf(version);
    await this.o.registry.promote(version);
    this.pending = { model, version };
  }

  /**
   * A version another instance promoted (the Kafka models topic): registered here and made live at
   * the next swap point with the same re-warm as a local promotion. A version the registry has is ignored.
   */
  async adopt(version: string, weights: Float32Array): Promise<boolean> {
    if (this.o.registry.get(version) !== undefined) return false;
    for (let i = 0; i < weights.length; i++) {
      if (!Number.isFinite(weights[i])) throw new RangeError(`model version ${version} holds a non-finite weight at ${i}`);
    }
    const model = this.blankModel();
    loadParams(model, weights); // throws before registering when the shape does not match
    await this.o.registry.add(
      meta(version, this.o.live.version, null, 'remote', true, 'promoted by another instance (models topic)'),
      weights,
    );
    this.pending = { model, version };
    return true;
  }

  async rollback(): Promise<string> {
    const version = await this.o.registry.rollback();
    this.pending = { model: await this.modelOf(version), version };
    return version;
  }

  async close(): Promise<void> {
    this.job?.handle.cancel();
    this.job = undefined;
    await this.registering;
    await this.o.trainer.close();
  }

  /**
   * The event-time state, for the runtime's checkpoint (taken between two batches, with the engine's):
   * buffer, schedule counters, event clock, the run in progress (its request: a restart runs it again
   * and gets the same result). Undefined in wall-clock mode, whose runs depend on timing anyway.
   */
  snapshot(): RetrainerSnapshot | undefined {
    if (!this.o.settings.deterministic) return undefined;
    const job = this.job;
    return {
      steps: this.steps,
      seed: this.seed,
      versions: this.versions,
      live: this.o.live.version,
      schedule: this.schedule.snapshot(),
      buffer: this.buffer.snapshot(),
      job: job && {
        ...jobSnapshot(job.req),
        applyAt: job.applyAt,
        reason: job.reason,
        parent: job.parent,
        range: job.range,
        rows: job.rows && { keys: job.rows.keys, counts: Array.from(job.rows.counts) },
      },
    };
  }

  /** Continues from a snapshot (see snapshot()); the run in progress is started again. */
  restore(s: RetrainerSnapshot): void {
    this.buffer.restore(s.buffer);
    this.schedule.restore(s.schedule);
    this.steps = s.steps;
    this.seed = s.seed;
    this.versions = s.versions;
    this.job?.handle.cancel();
    this.job = undefined;
    if (s.job !== undefined) {
      const req = jobFromSnapshot(s.job);
      this.job = {
        req,
        handle: this.o.trainer.start(req),
        applyAt: s.job.applyAt,
        reason: s.job.reason,
        parent: s.job.parent,
        range: s.job.range,
        rows: s.job.rows && { keys: s.job.rows.keys, counts: Float64Array.from(s.job.rows.counts) },
        t0: this.now(),
      };
    }
  }

  /** Deterministic mode: starts a run on the buffer as of this step. */
  private trigger(reason: RetrainReason): void {
    const s = this.o.settings;
    this.schedule.started(0);
    const windows = this.buffer.sample(s.windowSteps, s.windowStreams, s.minSteps, this.seed++);
    if (windows === undefined) {
      this.o.log?.debug({ reason, step: this.steps }, 'Retraining skipped: no stream has enough steps yet.');
      return;
    }
    const W = s.rewarmSteps;
    const rows = W > 0 ? rewarmRows(this.buffer, W) : undefined;
    // No wall-clock budget: the epochs and patience alone bound a deterministic run.
    const train = { ...s.train, maxTimeMs: Infinity };
    const req: TrainJobRequest = {
      jobId: `${this.o.pipeline}-${this.seed}`,
      config: this.o.live.model.config,
      champion: flattenParams(this.o.live.model),
      steps: windows.steps,
      batch: windows.batch,
      inputs: windows.inputs,
      targets: windows.targets,
      settings: train,
      seed: this.seed,
      rewarm: rows && { streams: rows.keys.length, rows: W, inputs: rows.inputs, steps: rows.steps },
    };
    this.job = {
      req,
      handle: this.o.trainer.start(req),
      applyAt: this.steps + s.applyAfterSteps,
      reason,
      parent: this.o.live.version,
      rows: rows && { keys: rows.keys, counts: rows.counts },
      t0: this.now(),
      range: { from: windows.from, to: windows.to, streams: windows.batch, steps: windows.steps },
    };
    this.o.log?.debug({ reason, step: this.steps, applyAt: this.job.applyAt, streams: windows.batch }, 'Retraining started.');
  }

  /** Deterministic mode: the run's result decides at its apply step (waiting for it if needed). */
  private apply(job: EventJob): void {
    this.job = undefined;
    const { pipeline, metrics, log } = this.o;
    const s = this.o.settings;
    let result: TrainJobResult;
    const waitFrom = this.now();
    try {
      result = job.handle.wait();
    } catch (err) {
      metrics?.trainingRuns.labels(pipeline, 'failed').inc();
      log?.error({ err, reason: job.reason }, 'Retraining failed; the champion stays live.');
      return;
    }
    const { promoted, why } = decide(result.validationLoss, result.championLoss, s.margin);
    this.versions = Math.max(this.versions, this.o.registry.list().length) + 1;
    const version = `v${String(this.versions).padStart(4, '0')}-${promoted ? 'promoted' : 'rejected'}`;
    const metaData = {
      ...meta(version, job.parent, job.range, job.reason, promoted, why),
      trainLoss: result.trainLoss,
      validationLoss: result.validationLoss,
      championLoss: result.championLoss,
      epochs: result.epochs,
    };
    const weights = result.weights;
    // After a restart a run between the checkpoint and the stop is applied again: registered already.
    this.registering = this.registering
      .then(() => (this.o.registry.get(version) === undefined ? this.o.registry.add(metaData, weights) : undefined))
      .catch((err: unknown) => log?.error({ err, version }, 'Registering the model version failed.'));
    if (promoted) {
      const model = this.blankModel();
      loadParams(model, weights);
      const seed =
        job.rows !== undefined && result.rewarmStates !== undefined
          ? { keys: job.rows.keys, counts: job.rows.counts, states: result.rewarmStates }
          : undefined;
      if (s.rewarmSteps > 0) rewarmStates(model, this.buffer, this.o.live.arena, s.rewarmSteps, seed);
      this.schedule.promoted();
      this.o.live.swap(model, version);
      this.applied = { model, version, validationLoss: result.validationLoss, applied: true };
      const publish = this.o.publish;
      if (publish !== undefined) {
        this.registering = this.registering
          .then(() => publish({ name: pipeline, version, bytes: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength) }))
          .catch((err: unknown) => log?.warn({ err, version }, 'Publishing the model version to Kafka failed; it is on disk.'));
      }
    }
    this.record(
      {
        version,
        reason: job.reason,
        promoted,
        why,
        seconds: (this.now() - job.t0) / 1000,
        streams: job.range.streams,
        steps: job.range.steps,
        epochs: result.epochs,
        trainLoss: result.trainLoss,
        validationLoss: result.validationLoss,
        championLoss: result.championLoss,
      },
      { step: this.steps, waitedMs: this.now() - waitFrom },
    );
  }

  /** at: deterministic mode: the step the result was applied at and how long inference waited for it. */
  private record(run: RetrainRun, at?: { step: number; waitedMs: number }): void {
    const { pipeline, metrics, log } = this.o;
    this.runs.push(run);
    metrics?.trainingRuns.labels(pipeline, run.promoted ? 'promoted' : 'rejected').inc();
    metrics?.trainingDuration.labels(pipeline).observe(run.seconds);
    metrics?.trainingLoss.labels(pipeline, 'train').set(run.trainLoss);
    metrics?.trainingLoss.labels(pipeline, 'validation').set(run.validationLoss);
    metrics?.trainingLoss.labels(pipeline, 'incumbent').set(run.championLoss);
    log?.info({ ...run, ...at }, run.promoted ? 'Retrained model promoted.' : 'Retrained model rejected; the champion stays live.');
  }

  private takePending(): ModelCandidate | undefined {
    const p = this.pending;
    if (p === undefined) return undefined;
    this.pending = undefined;
    const W = this.o.settings.rewarmSteps;
    if (W > 0) {
      const r = rewarmStates(p.model, this.buffer, this.o.live.arena, W, p.seed);
      this.o.log?.info({ version: p.version, ...r }, 'Stream states re-warmed under the new weights.');
    }
    this.schedule.promoted();
    this.o.log?.info({ version: p.version, from: this.o.live.version }, 'Model swap between two steps.');
    return p;
  }

  /**
   * A model to load a version into. On the portable kernels: a WASM kernel heap never frees, so
   * models made per run would exhaust the live model's; inference runs on the fused stepper anyway
   * (ModelRunner), and re-warm too (warmStates), both giving the same bits as every kernel.
   */
  private blankModel(): StackedModel {
    return new StackedModel(this.o.live.model.config, portableKernels);
  }

  private async modelOf(version: string): Promise<StackedModel> {
    const model = this.blankModel();
    loadParams(model, await this.o.registry.loadWeights(version));
    return model;
  }

  private async runOnce(reason: RetrainReason): Promise<RetrainRun | undefined> {
    const s = this.o.settings;
    const { pipeline, registry, metrics, log } = this.o;
    const t0 = this.now();
    this.schedule.started(t0);
    const windows = this.buffer.sample(s.windowSteps, s.windowStreams, s.minSteps, this.seed++);
    if (windows === undefined) {
      log?.debug({ reason }, 'Retraining skipped: no stream has enough steps yet.');
      return undefined;
    }
    const parent = this.o.live.version;
    const champion = flattenParams(this.o.live.model);
    const W = s.rewarmSteps;
    const rows = W > 0 ? rewarmRows(this.buffer, W) : undefined;
    let result: TrainJobResult;
    try {
      result = await this.o.trainer.train({
        jobId: `${pipeline}-${this.seed}`,
        config: this.o.live.model.config,
        champion,
        steps: windows.steps,
        batch: windows.batch,
        inputs: windows.inputs,
        targets: windows.targets,
        settings: s.train,
        seed: this.seed,
        rewarm: rows && { streams: rows.keys.length, rows: W, inputs: rows.inputs, steps: rows.steps },
      });
    } catch (err) {
      metrics?.trainingRuns.labels(pipeline, 'failed').inc();
      log?.error({ err, reason }, 'Retraining failed; the champion stays live.');
      return undefined;
    }
    const { promoted, why } = decide(result.validationLoss, result.championLoss, s.margin);
    const version = registry.nextVersion(promoted ? 'promoted' : 'rejected');
    const range: DataRange = { from: windows.from, to: windows.to, streams: windows.batch, steps: windows.steps };
    await registry.add(
      {
        ...meta(version, parent, range, reason, promoted, why),
        trainLoss: result.trainLoss,
        validationLoss: result.validationLoss,
        championLoss: result.championLoss,
        epochs: result.epochs,
      },
      result.weights,
    );
    if (promoted) {
      const model = this.blankModel();
      loadParams(model, result.weights);
      const seed =
        rows !== undefined && result.rewarmStates !== undefined
          ? { keys: rows.keys, counts: rows.counts, states: result.rewarmStates }
          : undefined;
      this.pending = { model, version, validationLoss: result.validationLoss, seed };
      await this.o
        .publish?.({
          name: pipeline,
          version,
          bytes: new Uint8Array(result.weights.buffer, result.weights.byteOffset, result.weights.byteLength),
        })
        .catch((err: unknown) => log?.warn({ err, version }, 'Publishing the model version to Kafka failed; it is on disk.'));
    }
    const run: RetrainRun = {
      version,
      reason,
      promoted,
      why,
      seconds: (this.now() - t0) / 1000,
      streams: windows.batch,
      steps: windows.steps,
      epochs: result.epochs,
      trainLoss: result.trainLoss,
      validationLoss: result.validationLoss,
      championLoss: result.championLoss,
    };
    this.record(run);
    return run;
  }
}

export interface RetrainerSnapshot {
  readonly steps: number;
  readonly seed: number;
  readonly versions: number;
  /** The live version when it was taken. */
  readonly live: string;
  readonly schedule: ScheduleSnapshot;
  readonly buffer: BufferSnapshot;
  readonly job?: JobSnapshot & {
    readonly applyAt: number;
    readonly reason: RetrainReason;
    readonly parent: string;
    readonly range: DataRange;
    readonly rows?: { readonly keys: readonly string[]; readonly counts: readonly number[] };
  };
}

export function decide(challenger: number, champion: number, margin: number): { promoted: boolean; why: string } {
  if (!Number.isFinite(challenger)) return { promoted: false, why: `challenger validation loss is ${challenger}` };
  const bar = champion * (1 - margin);
  if (!Number.isFinite(champion) || challenger < bar) {
    return {
      promoted: true,
      why: `validation loss ${challenger.toPrecision(4)} beats the champion's ${champion.toPrecision(4)} by more than ${margin * 100}%`,
    };
  }
  return {
    promoted: false,
    why: `validation loss ${challenger.toPrecision(4)} does not beat the champion's ${champion.toPrecision(4)} by ${margin * 100}%`,
  };
}

function meta(version: string, parent: string | null, dataRange: DataRange | null, reason: string, promoted: boolean, why: string) {
  return {
    version,
    parent,
    createdAt: new Date().toISOString(),
    dataRange,
    trainLoss: null,
    validationLoss: null,
    championLoss: null,
    epochs: 0,
    promoted,
    reason: `${reason}: ${why}`,
  };
}
