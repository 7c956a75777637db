import { StackedModel } from '../models/stacked-model.js';
import type { StateArena } from '../models/state-arena.js';
import type { ModelCandidate, OnlineLearner } from '../runtime/online-learner.js';
import type { Logger } from '../telemetry/logger.js';
import type { TidecastMetrics } from '../telemetry/metrics.js';
import type { DataRange, ModelRegistry } from './model-registry.js';
import { ReplayBuffer } from './replay-buffer.js';
import { RetrainSchedule, type RetrainReason, type ScheduleOptions } from './retrain-schedule.js';
import { rewarmRows, rewarmStates, type RewarmSeed } from './rewarm.js';
import { flattenParams, loadParams, type TrainSettings } from './train-job.js';
import type { Trainer } from './worker-trainer.js';

// Background retraining of one pipeline's model. The live path only records steps (replay buffer,
// drift error) and, between two batched steps, applies a swap that is already decided. Training
// runs in the trainer (a worker); the challenger goes live only if its loss on the most recent
// held-out steps beats the champion's on the same steps by the margin. Every run is registered.

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

interface PendingSwap { readonly model: StackedModel; readonly version: string; readonly validationLoss?: number; readonly seed?: RewarmSeed }

export class Retrainer implements OnlineLearner {
  readonly buffer: ReplayBuffer;
  readonly schedule: RetrainSchedule;
  readonly runs: RetrainRun[] = [];
  private pending: PendingSwap | undefined;
  private running: Promise<RetrainRun | undefined> | undefined;
  private readonly now: () => number;
  private seed = 1;

  private constructor(readonly o: RetrainerOptions) {
    const m = o.live.model.config;
    this.buffer = new ReplayBuffer({ inputSize: m.inputSize, horizon: m.horizon, capacity: o.settings.bufferSteps, maxStreams: o.settings.bufferStreams });
    this.now = o.now ?? Date.now;
    this.schedule = new RetrainSchedule(o.settings.schedule, this.now());
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
    return this.running !== undefined;
  }

  /** Resolves when no run is in progress. */
  async whenIdle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Records one live step (inputs, value, normaliser, the one-step forecast made at it). */
  observe(key: string, t: number, x: Float32Array, xOff: number, value: number, mean: number, std: number, imputed: boolean, reset: boolean, pred: number): void {
    this.schedule.observeStep(this.buffer.push(key, t, x, xOff, value, mean, std, imputed, reset, pred));
  }

  /** OnlineLearner: applies a decided swap, else starts a due run in the background. */
  afterBatch(): ModelCandidate | undefined {
    const swap = this.takePending();
    if (swap !== undefined) return swap;
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
    this.running ??= this.runOnce(reason).finally(() => { this.running = undefined; });
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
    const model = new StackedModel(this.o.live.model.config, this.o.live.model.kernels);
    loadParams(model, weights); // throws before registering when the shape does not match
    await this.o.registry.add(meta(version, this.o.live.version, null, 'remote', true, 'promoted by another instance (models topic)'), weights);
    this.pending = { model, version };
    return true;
  }

  async rollback(): Promise<string> {
    const version = await this.o.registry.rollback();
    this.pending = { model: await this.modelOf(version), version };
    return version;
  }

  async close(): Promise<void> {
    await this.o.trainer.close();
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

  private async modelOf(version: string): Promise<StackedModel> {
    const model = new StackedModel(this.o.live.model.config, this.o.live.model.kernels);
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
    let result;
    try {
      result = await this.o.trainer.train({
        jobId: `${pipeline}-${this.seed}`, config: this.o.live.model.config, champion, steps: windows.steps, batch: windows.batch,
        inputs: windows.inputs, targets: windows.targets, settings: s.train, seed: this.seed,
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
    await registry.add({
      ...meta(version, parent, range, reason, promoted, why),
      trainLoss: result.trainLoss, validationLoss: result.validationLoss, championLoss: result.championLoss, epochs: result.epochs,
    }, result.weights);
    if (promoted) {
      const model = new StackedModel(this.o.live.model.config, this.o.live.model.kernels);
      loadParams(model, result.weights);
      const seed = rows !== undefined && result.rewarmStates !== undefined ? { keys: rows.keys, counts: rows.counts, states: result.rewarmStates } : undefined;
      this.pending = { model, version, validationLoss: result.validationLoss, seed };
      await this.o.publish?.({ name: pipeline, version, bytes: new Uint8Array(result.weights.buffer, result.weights.byteOffset, result.weights.byteLength) })
        .catch((err: unknown) => log?.warn({ err, version }, 'Publishing the model version to Kafka failed; it is on disk.'));
    }
    const run: RetrainRun = {
      version, reason, promoted, why, seconds: (this.now() - t0) / 1000, streams: windows.batch, steps: windows.steps, epochs: result.epochs,
      trainLoss: result.trainLoss, validationLoss: result.validationLoss, championLoss: result.championLoss,
    };
    this.runs.push(run);
    metrics?.trainingRuns.labels(pipeline, promoted ? 'promoted' : 'rejected').inc();
    metrics?.trainingDuration.labels(pipeline).observe(run.seconds);
    metrics?.trainingLoss.labels(pipeline, 'train').set(run.trainLoss);
    metrics?.trainingLoss.labels(pipeline, 'validation').set(run.validationLoss);
    metrics?.trainingLoss.labels(pipeline, 'incumbent').set(run.championLoss);
    log?.info(run, promoted ? 'Retrained model promoted.' : 'Retrained model rejected; the champion stays live.');
    return run;
  }
}

export function decide(challenger: number, champion: number, margin: number): { promoted: boolean; why: string } {
  if (!Number.isFinite(challenger)) return { promoted: false, why: `challenger validation loss is ${challenger}` };
  const bar = champion * (1 - margin);
  if (!Number.isFinite(champion) || challenger < bar) {
    return { promoted: true, why: `validation loss ${challenger.toPrecision(4)} beats the champion's ${champion.toPrecision(4)} by more than ${margin * 100}%` };
  }
  return { promoted: false, why: `validation loss ${challenger.toPrecision(4)} does not beat the champion's ${champion.toPrecision(4)} by ${margin * 100}%` };
}

function meta(version: string, parent: string | null, dataRange: DataRange | null, reason: string, promoted: boolean, why: string) {
  return {
    version, parent, createdAt: new Date().toISOString(), dataRange, trainLoss: null, validationLoss: null, championLoss: null,
    epochs: 0, promoted, reason: `${reason}: ${why}`,
  };
}
