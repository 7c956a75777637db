import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ForecastStore } from '../api/forecast-store.js';
import { buildHttpApp } from '../api/server.js';
import { parsePipelineText } from '../config/load-pipeline.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { Prng } from '../training/prng.js';
import { ingestHandler } from './ingest.js';
import { PipelineRuntime } from './pipeline-runtime.js';

// model.classify through a real pipeline runtime: records in over /api/ingest, the engine's listener
// feeds the classifiers, and the stream's regime probabilities come out of its classification view.

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const STEPS = 1500;
const root = await mkdtemp(join(tmpdir(), 'tidecast-classify-'));
afterAll(() => rm(root, { recursive: true, force: true }));

function runtime(classify: boolean) {
  const dir = join(root, classify ? 'on' : 'off');
  const r = parsePipelineText(
    `name: w
step_ms: ${HOUR}
sources: [{ kind: file, path: ${dir}/none.csv, key_column: stream }]
sinks: []
model: { cell: gru, units: 4, horizon: 4, seed: 1, classify: ${classify} }
state: { dir: ${dir}/state }
`,
    'w.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const metrics = createMetrics();
  const rt = new PipelineRuntime(r.value.pipelines[0], { log: createLogger({ level: 'silent' }), metrics, paced: false });
  const { app } = buildHttpApp({
    store: new ForecastStore(),
    metrics,
    health: () => ({ live: true, ready: true }),
    ingest: new Map([['w', ingestHandler(rt, () => T0 + STEPS * HOUR)]]),
  });
  return { rt, app };
}

it('serves the regime of streams fed through the engine when model.classify is on, and is off by default', async () => {
  const rng = new Prng(6);
  let level = 50,
    slope = 0;
  const records = [];
  for (let t = 0; t < STEPS; t++) {
    if (t % 40 === 0) slope = [-1, 0, 1][rng.int(3)];
    level += slope + 0.3 * rng.normal();
    records.push({ stream: 'a', timestamp: T0 + t * HOUR, value: level });
  }
  const on = runtime(true);
  for (let i = 0; i < records.length; i += 100) {
    const res = await on.app.inject({
      method: 'POST',
      url: '/api/ingest',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(records.slice(i, i + 100)),
    });
    expect(res.statusCode).toBe(200);
  }
  const view = on.rt.classification?.view('a');
  expect(view?.regime.horizon).toBe(4);
  const p = view?.regime.probabilities;
  expect(p).not.toBeNull();
  expect((p?.falling ?? 0) + (p?.flat ?? 0) + (p?.rising ?? 0)).toBeCloseTo(1, 3);
  expect(on.rt.classification?.regime.model.examples).toBeGreaterThan(1000);
  await on.app.close();
  const off = runtime(false);
  expect(off.rt.classification).toBeUndefined();
  await off.app.close();
});
