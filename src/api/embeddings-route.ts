import type { FastifyInstance } from 'fastify';
import { pca2d } from '../models/pca-projection.js';

// GET /api/embeddings[?limit=N]: the dashboard's map of stream embeddings. A stream's embedding is
// its recurrent state (the model's summary of what it has read); per pipeline, up to `limit`
// streams (default 2,000, at most 5,000, in key order) are projected to 2-D by PCA, so streams that
// behave alike sit together. `fitted` marks the streams the cold start's embeddings came from.

/** One pipeline's streams and state rows (ModelRunner.stateRows). */
export interface EmbeddingStates {
  readonly pipeline: string;
  readonly keys: readonly string[];
  readonly dims: number;
  /** keys.length × dims */
  readonly rows: Float32Array;
  /** Streams whose embeddings the cold start uses (model.cold_start_neighbours). */
  readonly fitted: readonly string[];
}

export interface EmbeddingPoint {
  readonly key: string;
  readonly x: number;
  readonly y: number;
  readonly fitted: boolean;
}

export interface EmbeddingMap {
  readonly pipeline: string;
  readonly dims: number;
  readonly points: readonly EmbeddingPoint[];
}

export const DEFAULT_MAP_LIMIT = 2_000;
const MAX_MAP_LIMIT = 5_000;

export function embeddingMap(s: EmbeddingStates): EmbeddingMap {
  const n = s.keys.length;
  const xy = pca2d(s.rows, n, s.dims);
  const fitted = new Set(s.fitted);
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  return {
    pipeline: s.pipeline,
    dims: s.dims,
    points: s.keys.map((key, i) => ({ key, x: round(xy[2 * i]), y: round(xy[2 * i + 1]), fitted: fitted.has(key) })),
  };
}

export function registerEmbeddingsRoute(app: FastifyInstance, source: ((limit: number) => readonly EmbeddingStates[]) | undefined): void {
  app.get('/api/embeddings', async (req, reply) => {
    const raw = (req.query as { limit?: string }).limit;
    const limit = raw === undefined ? DEFAULT_MAP_LIMIT : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_MAP_LIMIT)
      return reply.code(400).send({ error: 'bad_request', message: `limit must be an integer in 1..${MAX_MAP_LIMIT}, got ${raw}.` });
    return { maps: (source?.(limit) ?? []).map(embeddingMap) };
  });
}
