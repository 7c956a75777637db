import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { PipelineRuntime } from './pipeline-runtime.js';

// HTTP ingest and the idle flush pass the daemon's operators (forecast -> alertOn -> toSinks ->
// commit): the step the idle flush closes is forecast, written, counted and scored by the alert
// stage like a source batch's steps.

const SEC = 1000;
const root = await mkdtemp(join(tmpdir(), 'tidecast-idle-flush-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('idle flush and HTTP ingest through the operators', () => {
  it("closes a quiet stream's last step once the watermark passes it, writes its forecast and scores it", async () => {
    const r = parsePipelineText(
      `name: idle
step_ms: ${SEC}
ordering: { max_delay_ms: 0, allowed_lateness_ms: 0 }
sources: [{ kind: file, path: ${root}/none.csv, key_column: stream }]
sinks: [{ kind: file, forecasts_path: ${root}/f.jsonl }]
model: { cell: gru, units: 4, horizon: 2, seed: 1 }
alerting: { rules: [{ name: r, detector: score, warning: 0.99 }] }
state: { dir: ${root}/state }
`,
      'idle.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const metrics = createMetrics();
    const rt = new PipelineRuntime(r.value.pipelines[0], { log: createLogger({ level: 'silent' }), metrics, paced: false });
    // One reading a second up to this second: the newest step stays open until the watermark passes it.
    const now = Math.floor(Date.now() / SEC) * SEC;
    const obs = Array.from({ length: 30 }, (_, i) => ({ key: 'a', eventTime: now - (29 - i) * SEC, fields: { value: 10 + Math.sin(i) } }));
    await rt.ingestExternal(obs, []);
    const engine = rt.engine;
    expect(engine.stats.steps).toBe(29); // the newest step waits for the watermark
    expect(engine.alerts.stats.steps).toBe(29); // every step made was scored by the alert stage
    await rt.idleFlush(now + 2 * SEC); // what the ordering.idle_flush_ms timer runs, once the newest second is over
    expect(engine.stats.steps).toBe(30);
    expect(engine.alerts.stats.steps).toBe(30);
    await rt.stop();
    const lines = (await readFile(join(root, 'f.jsonl'), 'utf8')).trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1]) as { key: string; t: number };
    expect(last.t).toBe(now);
    expect(lines.length).toBe(engine.stats.forecasts);
    const counted = (await metrics.registry.getSingleMetric('tidecast_forecasts_total')?.get())?.values.reduce((a, v) => a + v.value, 0);
    expect(counted).toBe(lines.length);
  });
});
