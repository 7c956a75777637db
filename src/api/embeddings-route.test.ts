import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import { PipelineEngine } from '../engine/pipeline-engine.js';
import { Prng } from '../training/prng.js';
import { type EmbeddingMap, registerEmbeddingsRoute } from './embeddings-route.js';
import { loadDashboardAssets } from './static-assets.js';

// GET /api/embeddings on a real engine's streams: two families of streams (a fast sine and a slow
// ramp) end up apart on the 2-D map; the map's script is served with the dashboard.

const HOUR = 3_600_000;

async function layoutOf(): Promise<(maps: unknown, w: number, h: number, pad?: number) => { key: string; cx: number; cy: number }[]> {
  const path = '../dashboard/embedding-map-layout.js'; // plain browser JS: a computed path keeps tsc out
  return ((await import(path)) as { layoutMap: never }).layoutMap;
}

function engineWithStreams(): PipelineEngine {
  const r = parsePipelineText(
    `name: m
step_ms: ${HOUR}
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, units: 6, horizon: 2, seed: 5, forecaster: recurrent }
state: { dir: var/state/m }
`,
    'm.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const engine = new PipelineEngine(r.value.pipelines[0], {});
  const rng = new Prng(2);
  const obs = [];
  for (let i = 0; i < 80; i++)
    for (let s = 0; s < 4; s++) {
      obs.push({ key: `fast/${s}`, eventTime: i * HOUR + s, fields: { value: 5 * Math.sin(i * 1.3 + s) + 0.1 * rng.normal() } });
      obs.push({ key: `ramp/${s}`, eventTime: i * HOUR + 10 + s, fields: { value: 0.2 * i + s + 0.01 * rng.normal() } });
    }
  engine.ingest(obs);
  return engine;
}

describe('GET /api/embeddings', () => {
  it('maps every stream to 2-D, families apart, and checks its limit', async () => {
    const engine = engineWithStreams();
    const app = Fastify();
    registerEmbeddingsRoute(app, (limit) => [{ pipeline: 'm', ...engine.runner.stateRows(limit), fitted: ['fast/0'] }]);
    const res = await app.inject({ url: '/api/embeddings' });
    expect(res.statusCode).toBe(200);
    const { maps } = res.json() as { maps: EmbeddingMap[] };
    expect(maps).toHaveLength(1);
    const pts = maps[0].points;
    expect(pts.map((p) => p.key)).toEqual(['fast/0', 'fast/1', 'fast/2', 'fast/3', 'ramp/0', 'ramp/1', 'ramp/2', 'ramp/3']);
    expect(pts.filter((p) => p.fitted).map((p) => p.key)).toEqual(['fast/0']);
    const centre = (prefix: string) => {
      const f = pts.filter((p) => p.key.startsWith(prefix));
      return [f.reduce((s, p) => s + p.x, 0) / f.length, f.reduce((s, p) => s + p.y, 0) / f.length];
    };
    const spread = (prefix: string) => {
      const [cx, cy] = centre(prefix);
      const f = pts.filter((p) => p.key.startsWith(prefix));
      return Math.sqrt(f.reduce((s, p) => s + (p.x - cx) ** 2 + (p.y - cy) ** 2, 0) / f.length);
    };
    const [a, b] = [centre('fast/'), centre('ramp/')];
    // The ramps sit together, away from the sines: farther apart than the ramps' own spread.
    expect(Math.hypot(a[0] - b[0], a[1] - b[1])).toBeGreaterThan(2 * spread('ramp/'));
    expect((await app.inject({ url: '/api/embeddings?limit=3' })).json().maps[0].points).toHaveLength(3);
    expect((await app.inject({ url: '/api/embeddings?limit=0' })).statusCode).toBe(400);
    // Without a source (no pipelines) the map is empty, not an error.
    const bare = Fastify();
    registerEmbeddingsRoute(bare, undefined);
    expect((await bare.inject({ url: '/api/embeddings' })).json()).toEqual({ maps: [] });
  });

  it('is drawn by the dashboard: its scripts are served and the layout fills each pipeline column', async () => {
    const assets = loadDashboardAssets();
    expect(assets.get('/embedding-map.js')?.body.toString()).toContain('/api/embeddings');
    expect(assets.get('/')?.body.toString()).toContain('/embedding-map.js');
    const layoutMap = await layoutOf();
    const maps = [
      {
        pipeline: 'a',
        points: [
          { key: 'a/1', x: -1, y: 0, fitted: false },
          { key: 'a/2', x: 1, y: 2, fitted: true },
        ],
      },
      { pipeline: 'b', points: [{ key: 'b/1', x: 5, y: 5, fitted: false }] },
    ];
    const out = layoutMap(maps, 200, 100, 10);
    expect(out.map((p) => [p.key, p.cx, p.cy])).toEqual([
      ['a/1', 10, 90],
      ['a/2', 90, 10],
      ['b/1', 150, 50],
    ]);
  });
});
