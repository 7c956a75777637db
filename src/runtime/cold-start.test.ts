import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { Forecast, Observation } from '../core/types.js';
import { PipelineEngine } from '../engine/pipeline-engine.js';
import { pca2d } from '../models/pca-projection.js';
import { StreamEmbeddingTable } from '../models/stream-embedding-table.js';
import { Prng } from '../training/prng.js';
import { stateEmbeddings } from '../training/state-embeddings.js';

// Stream embeddings in the engine (model.cold_start_neighbours): the fitted streams' table, a new
// stream's start from its key-nearest fitted streams, the table kept with the weights in checkpoints,
// and the 2-D map's projection.

const HOUR = 3_600_000;

function spec(neighbours: number): PipelineSpec {
  const r = parsePipelineText(
    `name: c
step_ms: ${HOUR}
ordering: { max_delay_ms: ${HOUR} }
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, units: 5, horizon: 2, seed: 3, forecaster: recurrent, cold_start_neighbours: ${neighbours} }
state: { dir: var/state/c }
`,
    'c.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

const table = () =>
  new StreamEmbeddingTable(['site1/temp', 'site2/temp', 'site1/hum', 'site2/hum'], 2, Float32Array.from([1, 0, 3, 0, 0, 10, 0, 30]));

describe('stream embedding table', () => {
  it('starts a fitted stream from its own embedding, a new one from its key-nearest fitted streams', () => {
    const t = table();
    const out = new Float32Array(2);
    expect(t.coldStart('site2/hum', 2, out)).toEqual([3]);
    expect(Array.from(out)).toEqual([0, 30]);
    // The same metric elsewhere first (the last segment counts double), then the same site.
    expect(t.coldStart('site3/temp', 2, out)).toEqual([0, 1]);
    expect(Array.from(out)).toEqual([2, 0]);
    expect(t.nearestByKey('site1/wind', 3)).toEqual([0, 2, 1]);
    const back = StreamEmbeddingTable.fromJSON(JSON.parse(JSON.stringify(t.toJSON())));
    expect([back.keys, Array.from(back.data)]).toEqual([t.keys, Array.from(t.data)]);
  });

  it('projects points on a plane in 5-D to 2-D keeping their distances (PCA)', () => {
    const rng = new Prng(4);
    const n = 30;
    const u = [0.5, 0.5, 0.5, 0.5, 0],
      v = [0.5, -0.5, 0.5, -0.5, 0];
    const pts = new Float32Array(n * 5);
    const coords: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      const a = 3 * rng.normal(),
        b = rng.normal();
      coords.push([a, b]);
      for (let j = 0; j < 5; j++) pts[i * 5 + j] = 7 + a * u[j] + b * v[j];
    }
    const p = pca2d(pts, n, 5);
    for (let i = 0; i < n; i++)
      for (let k = i + 1; k < n; k++) {
        const d2 = Math.hypot(p[2 * i] - p[2 * k], p[2 * i + 1] - p[2 * k + 1]);
        const d5 = Math.hypot(coords[i][0] - coords[k][0], coords[i][1] - coords[k][1]);
        expect(d2).toBeCloseTo(d5, 3);
      }
    // The first axis carries the larger spread.
    let s0 = 0,
      s1 = 0;
    for (let i = 0; i < n; i++) {
      s0 += p[2 * i] ** 2;
      s1 += p[2 * i + 1] ** 2;
    }
    expect(s0).toBeGreaterThan(s1);
    expect(Array.from(pca2d(pts, n, 5))).toEqual(Array.from(p));
  });
});

function observations(keys: readonly string[], from: number, to: number): Observation[] {
  const rng = new Prng(6);
  const out: Observation[] = [];
  for (let i = from; i < to; i++)
    keys.forEach((key, k) => {
      out.push({ key, eventTime: i * HOUR + 1000 * k, fields: { value: 10 + 3 * Math.sin(i / 5 + k) + 0.2 * rng.normal() } });
    });
  return out;
}

function randomHead(engine: PipelineEngine): PipelineEngine {
  const rng = new Prng(99);
  const k = engine.runner.model.headKernel.data;
  for (let i = 0; i < k.length; i++) k[i] = rng.uniform(-0.5, 0.5);
  return engine;
}

describe('cold start in the engine', () => {
  it('a new stream starts from its neighbours’ embeddings: other forecasts than from zeros, kept across a checkpoint', () => {
    const fitted = ['site1/temp', 'site2/temp', 'site1/hum'];
    const s = spec(2);
    const run = (neighbours: number, restoreAt?: number) => {
      const forecasts: Forecast[] = [];
      let engine = randomHead(
        new PipelineEngine({ ...s, model: { ...s.model, cold_start_neighbours: neighbours } }, { forecast: (f) => forecasts.push(f) }),
      );
      engine.ingest(observations(fitted, 0, 60));
      // The embeddings as prepareModel makes them after the offline fit: states over a fit window.
      const inputs = new Float32Array(40 * 3 * engine.runner.inputSize).map((_, i) => Math.sin(i / 7));
      engine.runner.embeddings = stateEmbeddings(engine.runner.model, { steps: 40, batch: 3, inputs }, fitted);
      const later = observations(['site3/temp'], 60, 90);
      const half = restoreAt ?? later.length;
      engine.ingest(later.slice(0, half));
      if (restoreAt !== undefined) {
        const snap = JSON.parse(JSON.stringify(engine.snapshot()));
        const w = JSON.parse(JSON.stringify(engine.runner.exportWeights()));
        engine = new PipelineEngine(
          { ...s, model: { ...s.model, cold_start_neighbours: neighbours } },
          { forecast: (f) => forecasts.push(f) },
        );
        engine.runner.importWeights(w);
        expect(engine.runner.embeddings?.keys).toEqual(fitted);
        expect(engine.restore(snap)).toEqual([]);
      }
      engine.ingest(later.slice(half));
      return { forecasts: forecasts.filter((f) => f.key === 'site3/temp').map((f) => Array.from(f.mean)), engine };
    };
    const cold = run(2);
    const zero = run(0);
    expect(cold.forecasts.length).toBe(zero.forecasts.length);
    expect(cold.forecasts.length).toBeGreaterThan(20);
    expect(cold.forecasts[0]).not.toEqual(zero.forecasts[0]);
    // Its start is the mean of site1/temp's and site2/temp's embeddings (the same metric).
    const runner = cold.engine.runner;
    const slot = runner.slotOf('site4/temp');
    runner.resetState(slot);
    const d = runner.arena.stateSize;
    const e = runner.embeddings!;
    const row = Array.from(runner.arena.data.subarray(slot * d, (slot + 1) * d));
    for (const [j, v] of row.entries()) expect(v).toBeCloseTo((e.data[j] + e.data[d + j]) / 2, 6);
    expect(run(2, 12).forecasts).toEqual(cold.forecasts);
  });
});
