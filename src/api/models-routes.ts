import type { FastifyInstance, FastifyReply } from 'fastify';
import { TidecastError } from '../core/errors.js';
import type { ModelsApi } from '../retraining/models-api.js';

// Model registry over HTTP: the same operations as `tidecast models`.
//   GET  /api/models                              every pipeline's versions and live version
//   POST /api/models/:pipeline/promote/:version   make a version live (at the next swap point)
//   POST /api/models/:pipeline/rollback           back to the previously promoted version
//   POST /api/models/:pipeline/train              run a retraining now; returns the run

export function registerModelRoutes(app: FastifyInstance, api: ModelsApi | undefined): void {
  if (api === undefined) return;
  app.get('/api/models', async () => ({ pipelines: api.list() }));
  app.post('/api/models/:pipeline/promote/:version', async (req, reply) => {
    const { pipeline, version } = req.params as { pipeline: string; version: string };
    return guarded(reply, async () => { await api.promote(pipeline, version); return { pipeline, live: version }; });
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

async function guarded(reply: FastifyReply, f: () => Promise<unknown>): Promise<unknown> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof TidecastError) return reply.code(err.code === 'config_invalid' ? 400 : 500).send({ error: err.code, message: err.message });
    throw err;
  }
}
