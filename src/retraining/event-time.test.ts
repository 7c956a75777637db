import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { Observation } from '../core/types.js';
import { PipelineEngine } from '../engine/pipeline-engine.js';
import { silentLogger } from '../telemetry/logger.js';
import { attachToEngine } from './attach.js';
import type { Retrainer, RetrainerSnapshot } from './retrainer.js';

// Event-time retraining on the engine, in process: the forecasts depend on the records only, not on
// how they are batched, and an engine + retrainer restored from their snapshots mid-run (a JSON
// round trip, as in the checkpoint) continues exactly as the uninterrupted run.

const HOUR = 3_600_000;
const root = await mkdtemp(join(tmpdir(), 'tidecast-event-time-'));
afterAll(() => rm(root, { recursive: true, force: true }));

function spec(): PipelineSpec {
  const r = parsePipelineText(
    `name: et
step_ms: ${HOUR}
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, layers: 1, units: 8, horizon: 2, seed: 3 }
training:
  offline: { epochs: 3, tbptt_steps: 16 }
  online: { enabled: true, every_steps: 256, apply_after_steps: 100, window_steps: 128, max_epochs: 6, rewarm_steps: 12 }
alerting: { rules: [{ name: r, warning: 0.99 }] }
state: { dir: ${root}/unused }
`,
    'et.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

const STREAMS = ['a', 'b', 'c'];
const STEPS = 700;

/** Time-sorted records; the daily shape changes halfway (something to learn). */
const records: Observation[] = [];
for (let i = 0; i < STEPS; i++) {
  for (const [k, key] of STREAMS.entries()) {
    const period = i < STEPS / 2 ? 24 : 10;
    records.push({
      key,
      eventTime: i * HOUR,
      fields: { value: 20 + 5 * Math.sin((2 * Math.PI * i) / period + k) + Math.sin(i * 0.37 + k) },
    });
  }
}

interface Run {
  engine: PipelineEngine;
  retrainer: Retrainer;
  out: string[];
}

async function start(n: number): Promise<Run> {
  const out: string[] = [];
  const engine = new PipelineEngine(spec(), {
    forecast: (f) => out.push(`${f.key}|${f.t}|${f.modelVersion}|${Array.from(f.mean).join(';')}`),
  });
  const retrainer = await attachToEngine(engine, silentLogger(), undefined, { registryDir: join(root, `reg-${n}`) });
  return { engine, retrainer, out };
}

function feed(r: Run, from: number, to: number, batch: number): void {
  for (let i = from; i < to; i += batch) r.engine.ingest(records.slice(i, Math.min(to, i + batch)));
}

describe('event-time retraining', () => {
  it('forecasts depend on the records, not the batching; a restore from snapshots continues exactly', async () => {
    const a = await start(1);
    feed(a, 0, records.length, 4096);
    const b = await start(2);
    feed(b, 0, records.length, 7);
    expect(a.retrainer.runs.length).toBeGreaterThanOrEqual(3);
    expect(a.retrainer.runs.some((r) => r.promoted)).toBe(true);
    expect(new Set(a.out.map((l) => l.split('|')[2])).size).toBeGreaterThanOrEqual(2);
    expect(b.out).toEqual(a.out);
    expect(b.retrainer.runs.map((r) => [r.version, r.validationLoss])).toEqual(a.retrainer.runs.map((r) => [r.version, r.validationLoss]));

    // Stop at a record where a run is in progress, snapshot, restore into fresh objects, go on.
    const c = await start(3);
    let cut = 0;
    for (let i = 0; i < records.length && cut === 0; i += 5) {
      feed(c, i, i + 5, 5);
      if (c.retrainer.busy && c.retrainer.runs.length >= 1) cut = i + 5;
    }
    expect(cut).toBeGreaterThan(0);
    const engineState = JSON.parse(JSON.stringify(c.engine.snapshot())) as ReturnType<PipelineEngine['snapshot']>;
    const weights = c.engine.runner.exportWeights();
    const retraining = JSON.parse(JSON.stringify(c.retrainer.snapshot())) as RetrainerSnapshot;
    expect(retraining.job).toBeDefined();
    await c.retrainer.close();
    const d = await start(4);
    d.engine.runner.importWeights(weights);
    d.engine.restore(engineState);
    d.retrainer.restore(retraining);
    feed(d, cut, records.length, 11);
    expect([...c.out, ...d.out]).toEqual(a.out);
    await Promise.all([a, b, d].map((r) => r.retrainer.close()));
  }, 60_000);
});
