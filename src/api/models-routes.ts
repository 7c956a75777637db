import type { FastifyInstance, FastifyReply } from 'fastify';
import { TidecastError } from '../core/errors.js';
import type { ModelsApi, PipelineModels } from '../retraining/models-api.js';
import type { PipelineSummary } from './pipeline-info.js';
import { forceRequested, promoteRefusal } from './promote-guard.js';

// Model registry over HTTP: the same operations as `tidecast models`.
//   GET  /api/models                              every pipeline's versions and live version (always)
//   POST /api/models/:pipeline/promote/:version   make a version live (at the next swap point); a rejected one needs force
//   POST /api/models/:pipeline/rollback           back to the previously promoted version
//   POST /api/models/:pipeline/train              run a retraining now; returns the run

/** One pipeline in GET /api/models: its registry (empty without retraining) and whether retraining runs. */
export interface PipelineModelsEntry extends PipelineModels {
  readonly training: 'on' | 'off';
  readonly model?: PipelineSummary['model'];
}

export function registerModelRoutes(app: FastifyInstance, api: ModelsApi | undefined, running?: () => readonly PipelineSummary[]): void {
  // Always answers: pipelines without retraining list their current model with `training: "off"`.
  app.get('/api/models', async () => ({ pipelines: listModels(api, running?.() ?? []) }));
  if (api === undefined) return;
  app.post('/api/models/:pipeline/promote/:version', async (req, reply) => {
    const { pipeline, version } = req.params as { pipeline: string; version: string };
    const refusal = promoteRefusal(api, pipeline, version, forceRequested(req.query, req.body));
    if (refusal !== undefined) return reply.code(refusal.status).send(refusal.body);
    return guarded(reply, async () => {
      await api.promote(pipeline, version);
      return { pipeline, live: version };
    });
  });
  app.post('/api/models/:pipeline/rollback', async (req, reply) => {
    const { pipeline } = req.params as { pipeline: string };
    return guarded(reply, async () => ({ pipeline, live: await api.rollback(pipeline) }));
  });
  app.post('/api/models/:pipeline/train', async (req, reply) => {
    const { pipeline } = req.params as { pipeline: string };
    return guarded(reply, async () => ({ pipeline, run: (await api.train(pipeline)) ?? null }));
  });
}

/** Retrained pipelines from the registry (`training: "on"`), then the others with their current model. */
export function listModels(api: ModelsApi | undefined, running: readonly PipelineSummary[]): PipelineModelsEntry[] {
  const out: PipelineModelsEntry[] = (api?.list() ?? []).map((p) => ({ ...p, training: 'on' as const }));
  const listed = new Set(out.map((p) => p.pipeline));
  for (const p of running) {
    if (listed.has(p.name)) continue;
    out.push({ pipeline: p.name, live: p.modelVersion, versions: [], training: 'off', ...(p.model ? { model: p.model } : {}) });
  }
  return out;
}

async function guarded(reply: FastifyReply, f: () => Promise<unknown>): Promise<unknown> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof TidecastError)
      return reply.code(err.code === 'config_invalid' ? 400 : 500).send({ error: err.code, message: err.message });
    throw err;
  }
}
