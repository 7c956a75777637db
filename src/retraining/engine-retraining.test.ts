import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerModelRoutes } from '../api/models-routes.js';
import { buildProgram } from '../cli/main.js';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { Observation } from '../core/types.js';
import { PipelineEngine } from '../engine/pipeline-engine.js';
import { registryDir, retrainSettingsFrom } from './attach.js';
import { engineTap } from './engine-tap.js';
import { ModelRegistry } from './model-registry.js';
import { modelsApi } from './models-api.js';
import { Retrainer } from './retrainer.js';
import { InlineTrainer } from './worker-trainer.js';

const HOUR = 3_600_000;
const root = await mkdtemp(join(tmpdir(), 'tidecast-engine-retrain-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const yaml = `name: t
step_ms: ${HOUR}
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, layers: 1, units: 8, horizon: 2, seed: 3 }
training: { offline: { epochs: 30, tbptt_steps: 16 }, online: { enabled: true, every_steps: 300, window_steps: 128 } }
alerting: { rules: [{ name: r, warning: 0.99 }] }
state: { dir: ${root}/state }
`;

function spec(): PipelineSpec {
  const r = parsePipelineText(yaml, 't.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

function batch(from: number, to: number): Observation[] {
  const out: Observation[] = [];
  for (let i = from; i < to; i++) {
    for (const [k, key] of ['a', 'b'].entries())
      out.push({ key, eventTime: i * HOUR, fields: { value: 20 + 5 * Math.sin((2 * Math.PI * i) / 12 + k) } });
  }
  return out;
}

describe('retraining on the pipeline engine', () => {
  it('feeds the replay buffer from the engine tap, retrains on schedule, swaps between batches; API and CLI see it', async () => {
    const s = spec();
    const engine = new PipelineEngine(s);
    const registry = await ModelRegistry.open(registryDir(s), s.name, engine.runner.model.config);
    // Wall-clock mode: this test drives afterBatch itself (the event-time mode has its own tests).
    const settings = retrainSettingsFrom(s, { minSteps: 32, deterministic: false });
    const retrainer = await Retrainer.create({ pipeline: s.name, live: engine.runner, registry, trainer: new InlineTrainer(), settings });
    engine.stepTap = engineTap(retrainer, engine.runner.inputSize);
    let swapped = 0;
    for (let b = 0; b < 20; b++) {
      engine.ingest(batch(b * 12, (b + 1) * 12));
      const c = retrainer.afterBatch();
      if (c !== undefined) {
        engine.runner.swap(c.model, c.version);
        swapped++;
      }
      await new Promise((r) => setImmediate(r));
    }
    await retrainer.whenIdle();
    engine.ingest(batch(240, 241));
    const next = retrainer.afterBatch();
    if (next !== undefined) {
      engine.runner.swap(next.model, next.version);
      swapped++;
    }
    expect(retrainer.buffer.streamCount).toBe(2);
    expect(retrainer.buffer.stepsOf('a')).toBe(128);
    expect(retrainer.runs.length).toBeGreaterThanOrEqual(1);
    expect(retrainer.runs[0].reason).toBe('steps');
    expect(retrainer.runs[0].promoted).toBe(true);
    expect(swapped).toBeGreaterThanOrEqual(1);
    expect(engine.runner.version).toBe(registry.live());

    const app = Fastify();
    registerModelRoutes(app, modelsApi(new Map([[s.name, retrainer]])));
    const list = (await app.inject({ method: 'GET', url: '/api/models' })).json() as {
      pipelines: { live: string; versions: { version: string }[] }[];
    };
    expect(list.pipelines[0].live).toBe(engine.runner.version);
    const first = list.pipelines[0].versions[0].version;
    expect((await app.inject({ method: 'POST', url: `/api/models/t/promote/${first}` })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/models/t/promote/nope' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/models/other/rollback' })).statusCode).toBe(400);
    engine.ingest(batch(241, 242));
    const c = retrainer.afterBatch();
    expect(c?.version).toBe(first);
    await app.close();

    // The CLI reads the same registry from disk.
    const file = join(root, 't.yaml');
    await (await import('node:fs/promises')).writeFile(file, yaml);
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      await buildProgram().parseAsync(['node', 'tidecast', 'models', 'list', file]);
      await buildProgram().parseAsync(['node', 'tidecast', 'models', 'rollback', file]);
    } finally {
      spy.mockRestore();
    }
    const text = out.join('');
    expect(text).toContain(`* ${first}`);
    const reopened = await ModelRegistry.openExisting(registryDir(s));
    expect(text).toContain(`rolled back to ${reopened.live()}`);
    expect(reopened.live()).not.toBe(first);
  });
});
