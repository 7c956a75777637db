import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { Logger } from '../telemetry/logger.js';
import { attachToEngine, retrainSettingsFrom } from './attach.js';
import type { Retrainer } from './retrainer.js';

// Retraining inside `tidecast replay` (training.online.enabled), as the daemon runs it: the same
// engine tap, worker and event-time schedule, so a replay serves what the daemon would. The model
// registry goes to a fresh temporary directory, removed at the end: a replay starts from the
// pipeline's own model every time (a registry left by an earlier replay would change its output).

export interface ReplayRetrainingSummary {
  readonly runs: number;
  readonly promoted: number;
  readonly rejected: number;
  /** The runs' registered versions, in order. */
  readonly versions: readonly string[];
  readonly liveVersion: string;
}

export class ReplayRetraining {
  private constructor(
    private readonly retrainer: Retrainer,
    private readonly dir: string,
    private readonly engine: PipelineEngine,
  ) {}

  /** Attaches retraining to the engine when the pipeline enables it; undefined otherwise. */
  static async start(engine: PipelineEngine, log: Logger): Promise<ReplayRetraining | undefined> {
    const spec = engine.spec;
    if (!spec.training.online.enabled) return undefined;
    const settings = retrainSettingsFrom(spec);
    if (!settings.deterministic) {
      log.warn(
        { every_ms: spec.training.online.every_ms },
        'Retraining in this replay is wall-clock driven (training.online.every_ms > 0 or deterministic: false): its output depends on timing.',
      );
    }
    const dir = await mkdtemp(join(tmpdir(), `tidecast-replay-models-${spec.name}-`));
    const retrainer = await attachToEngine(engine, log, undefined, { registryDir: dir, settings });
    return new ReplayRetraining(retrainer, dir, engine);
  }

  /** Wall-clock mode only: starts due runs and applies finished ones between batches, as the runtime does. */
  afterBatch(): void {
    const c = this.retrainer.afterBatch();
    if (c !== undefined && c.applied !== true) this.engine.runner.swap(c.model, c.version);
  }

  /** Stops the worker, removes the temporary registry, returns what ran. */
  async close(): Promise<ReplayRetrainingSummary> {
    this.engine.stepTap = undefined;
    await this.retrainer.close();
    await rm(this.dir, { recursive: true, force: true });
    const runs = this.retrainer.runs;
    const promoted = runs.filter((r) => r.promoted).length;
    return {
      runs: runs.length,
      promoted,
      rejected: runs.length - promoted,
      versions: runs.map((r) => r.version),
      liveVersion: this.engine.runner.version,
    };
  }
}
