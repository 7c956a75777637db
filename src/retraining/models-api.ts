import { TidecastError } from '../core/errors.js';
import type { ModelVersionMeta } from './model-registry.js';
import type { Retrainer, RetrainRun } from './retrainer.js';

// What the HTTP API and CLI do with a running daemon's models, per pipeline: list versions,
// promote one, roll back, train now. Promotions take effect at the next swap point (re-warmed).

export interface PipelineModels {
  readonly pipeline: string;
  readonly live: string | null;
  readonly versions: readonly ModelVersionMeta[];
}

export interface ModelsApi {
  list(): readonly PipelineModels[];
  promote(pipeline: string, version: string): Promise<void>;
  rollback(pipeline: string): Promise<string>;
  train(pipeline: string): Promise<RetrainRun | undefined>;
}

export function modelsApi(retrainers: ReadonlyMap<string, Retrainer>): ModelsApi {
  const of = (pipeline: string): Retrainer => {
    const r = retrainers.get(pipeline);
    if (r === undefined) throw new TidecastError(`No pipeline "${pipeline}" with retraining enabled.`, 'config_invalid', false);
    return r;
  };
  return {
    list: () => [...retrainers].map(([pipeline, r]) => ({ pipeline, live: r.registry.live(), versions: r.registry.list() })),
    promote: (pipeline, version) => of(pipeline).promote(version),
    rollback: (pipeline) => of(pipeline).rollback(),
    train: (pipeline) => of(pipeline).run('manual'),
  };
}
