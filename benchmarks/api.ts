// The API's costs: writing one step of every stream into the ForecastStore (the runtime does this
// per step), against a naive store of per-step objects in arrays (the obvious peer); and serving
// GET /api/streams and GET /api/streams/:key for many streams (fastify inject, no socket).
//
//   npm run bench:api            a table
//   npm run bench:api -- --json  one JSON object on stdout
import { Bench } from 'tinybench';
import { ForecastStore } from '../src/api/forecast-store.js';
import { buildHttpApp } from '../src/api/server.js';
import type { Forecast } from '../src/core/types.js';
import { createMetrics } from '../src/telemetry/metrics.js';

const STREAMS = 1000;
const HORIZON = 12;
const CAPACITY = 720;
const STEP = 60_000;

/** The peer: what one would write first, objects per step, trimmed with shift(). */
class NaiveStore {
  private readonly byKey = new Map<
    string,
    { actuals: { t: number; v: number }[]; forecasts: { t: number; mean: number[]; lower: number[]; upper: number[] }[] }
  >();
  record(key: string, t: number, v: number, f: Forecast): void {
    let s = this.byKey.get(key);
    if (s === undefined) {
      s = { actuals: [], forecasts: [] };
      this.byKey.set(key, s);
    }
    s.actuals.push({ t, v });
    s.forecasts.push({ t: f.t, mean: Array.from(f.mean), lower: Array.from(f.lower), upper: Array.from(f.upper) });
    if (s.actuals.length > CAPACITY) s.actuals.shift();
    if (s.forecasts.length > CAPACITY) s.forecasts.shift();
  }
}

function forecasts(): Forecast[] {
  return Array.from({ length: STREAMS }, (_, i) => ({
    pipeline: 'bench',
    key: `bench/s${i}`,
    t: 0,
    stepMs: STEP,
    modelVersion: 'v1',
    mean: new Float64Array(HORIZON).fill(i),
    lower: new Float64Array(HORIZON).fill(i - 1),
    upper: new Float64Array(HORIZON).fill(i + 1),
  }));
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const fs = forecasts();
  const store = new ForecastStore({ capacity: CAPACITY });
  const naive = new NaiveStore();
  let step = 0;
  let stepNaive = 0;
  const bench = new Bench({ time: 800, warmupTime: 200 });
  bench
    .add(`ForecastStore: one step of ${STREAMS} streams`, () => {
      const t = step++ * STEP;
      for (let i = 0; i < STREAMS; i++) {
        const f = fs[i] as { t: number };
        f.t = t;
        store.recordActual('bench', fs[i].key, t, i);
        store.recordForecast(fs[i]);
      }
    })
    .add(`naive objects: one step of ${STREAMS} streams`, () => {
      const t = stepNaive++ * STEP;
      for (let i = 0; i < STREAMS; i++) naive.record(fs[i].key, t, i, fs[i]);
    });
  await bench.run();

  // Full rings for the read side.
  for (let k = 0; k < CAPACITY; k++)
    for (let i = 0; i < STREAMS; i++) {
      store.recordActual('bench', fs[i].key, k * STEP, i);
      store.recordForecast(fs[i]);
    }
  const { app } = buildHttpApp({ store, metrics: createMetrics(), health: () => ({ live: true, ready: true }) });
  const reads = new Bench({ time: 800, warmupTime: 200 });
  reads
    .add(`GET /api/streams (first page of 500 of ${STREAMS} streams)`, async () => {
      await app.inject({ method: 'GET', url: '/api/streams' });
    })
    .add(`GET /api/streams/:key (${CAPACITY} points)`, async () => {
      await app.inject({ method: 'GET', url: '/api/streams/bench%2Fs7' });
    });
  await reads.run();
  await app.close();

  const rows = [...bench.tasks, ...reads.tasks].map((t) => {
    const r = t.result as { latency?: { mean: number; p99: number }; throughput?: { mean: number } } | undefined;
    return { name: t.name, meanMs: r?.latency?.mean ?? NaN, p99Ms: r?.latency?.p99 ?? NaN, opsPerSec: r?.throughput?.mean ?? NaN };
  });
  const perStepNs = (i: number) => (rows[i].meanMs * 1e6) / STREAMS;
  const result = {
    streams: STREAMS,
    horizon: HORIZON,
    capacity: CAPACITY,
    node: process.version,
    writeNsPerStreamStep: perStepNs(0),
    naiveWriteNsPerStreamStep: perStepNs(1),
    listStreamsMs: rows[2].meanMs,
    streamDetailMs: rows[3].meanMs,
    rows,
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  console.table(
    rows.map((r) => ({ task: r.name, 'mean ms': r.meanMs.toFixed(3), 'p99 ms': r.p99Ms.toFixed(3), 'ops/s': r.opsPerSec.toFixed(0) })),
  );
  console.log(
    `write per stream step: ForecastStore ${result.writeNsPerStreamStep.toFixed(0)} ns, naive objects ${result.naiveWriteNsPerStreamStep.toFixed(0)} ns`,
  );
}

await main();
