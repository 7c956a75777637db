import type { FastifyInstance } from 'fastify';
import type { Silence } from '../alerting/silences.js';
import { TidecastError } from '../core/errors.js';
import { refuse, selectPipeline } from './pipeline-target.js';

// Alert silences over HTTP, per pipeline (ids are per pipeline):
//   GET    /api/silences[?pipeline=NAME]        every pipeline's silences, or one pipeline's
//   POST   /api/silences[?pipeline=NAME]        body as in the pipeline file, plus an optional "pipeline"
//   DELETE /api/silences/:id[?pipeline=NAME]
// POST and DELETE need the pipeline named when the process runs several.

/** One pipeline's silences: list, add (snake_case body as in the pipeline file), remove. */
export interface SilenceApi {
  list(): readonly Silence[];
  /** May resolve later: the daemon answers once the silence is saved. */
  add(input: unknown): Silence | Promise<Silence>;
  remove(id: string): boolean | Promise<boolean>;
}

const WHAT = 'silences';

export function registerSilenceRoutes(app: FastifyInstance, silences: ReadonlyMap<string, SilenceApi> | undefined): void {
  if (silences === undefined || silences.size === 0) return;

  app.get('/api/silences', async (req, reply) => {
    const { pipeline } = req.query as { pipeline?: string };
    if (pipeline === undefined || pipeline === '') {
      return { silences: [...silences].flatMap(([name, api]) => api.list().map((s) => ({ ...s, pipeline: name }))) };
    }
    const target = selectPipeline(silences, pipeline, WHAT);
    if (!target.ok) return refuse(reply, target);
    return { silences: target.value.list().map((s) => ({ ...s, pipeline: target.name })) };
  });

  app.post('/api/silences', async (req, reply) => {
    let input: unknown;
    try {
      input = JSON.parse(typeof req.body === 'string' ? req.body : '');
    } catch (err) {
      return reply.code(400).send({ error: 'bad_request', message: `Body is not JSON: ${(err as Error).message}` });
    }
    const fromQuery = (req.query as { pipeline?: string }).pipeline;
    let fromBody: unknown;
    if (typeof input === 'object' && input !== null && !Array.isArray(input) && 'pipeline' in input) {
      const { pipeline, ...rest } = input as Record<string, unknown>;
      [fromBody, input] = [pipeline, rest];
      if (typeof fromBody !== 'string')
        return reply.code(400).send({ error: 'bad_request', message: 'pipeline must be a string (a pipeline name).' });
    }
    if (fromBody !== undefined && fromQuery !== undefined && fromQuery !== '' && fromBody !== fromQuery) {
      return reply
        .code(400)
        .send({ error: 'bad_request', message: `Two pipelines named: "${fromQuery}" in the query and "${String(fromBody)}" in the body.` });
    }
    const target = selectPipeline(silences, (fromBody as string | undefined) ?? fromQuery, WHAT, '?pipeline=NAME or a "pipeline" field');
    if (!target.ok) return refuse(reply, target);
    try {
      return reply.code(201).send({ ...(await target.value.add(input)), pipeline: target.name });
    } catch (err) {
      if (err instanceof TidecastError) return reply.code(400).send({ error: err.code, message: err.message });
      throw err;
    }
  });

  app.delete('/api/silences/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const target = selectPipeline(silences, (req.query as { pipeline?: string }).pipeline, WHAT);
    if (!target.ok) return refuse(reply, target);
    if (await target.value.remove(id)) return reply.code(204).send();
    return reply.code(404).send({ error: 'not_found', message: `No silence "${id}" in pipeline "${target.name}".` });
  });
}
