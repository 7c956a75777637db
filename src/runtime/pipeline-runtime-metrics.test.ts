import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { DeadLetter, Observation } from '../core/types.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { PipelineRuntime } from './pipeline-runtime.js';

const HOUR = 3_600_000;
const root = await mkdtemp(join(tmpdir(), 'tidecast-runtime-metrics-'));
afterAll(() => rm(root, { recursive: true, force: true }));

async function value(m: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string>): Promise<number> {
  // Histograms list their _bucket/_sum/_count series under the base name, told apart by metricName.
  const values = (await m.registry.getMetricsAsJSON()).flatMap((x) =>
    x.values.map((v) => ({ ...v, series: (v as { metricName?: string }).metricName ?? x.name })),
  );
  const hits = values.filter(
    (v) => v.series === name && Object.entries(labels).every(([k, l]) => String((v.labels as Record<string, unknown>)[k]) === l),
  );
  return hits.reduce((a, v) => a + v.value, 0);
}

describe('PipelineRuntime metrics', () => {
  it('feeds lateness, model batch sizes, pipeline counters, alerts firing and sink writes; each dead letter counted once', async () => {
    const r = parsePipelineText(
      `name: m
step_ms: ${HOUR}
ordering: { max_delay_ms: 0, allowed_lateness_ms: 0 }
impute: { method: linear, max_gap_steps: 6 }
sources: [{ kind: file, path: ${root}/none.csv, key_column: stream }]
sinks: [{ kind: file, forecasts_path: ${root}/f.jsonl, alerts_path: ${root}/a.jsonl, dead_letters_path: ${root}/d.jsonl }]
model: { cell: gru, units: 4, horizon: 2, seed: 1 }
alerting: { scorer: { warmup_steps: 5 }, rules: [{ name: r, detector: score, warning: 0.9, for: 1 }] }
state: { dir: ${root}/state }
`,
      'm.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const metrics = createMetrics();
    const rt = new PipelineRuntime(r.value.pipelines[0], { log: createLogger({ level: 'silent' }), metrics, paced: false });
    const obs: Observation[] = [];
    for (let i = 0; i < 60; i++) {
      if (i === 30) continue; // one gap step: imputed
      for (const key of ['a', 'b']) obs.push({ key, eventTime: i * HOUR, fields: { value: i === 50 ? 1000 : Math.sin(i / 3) } });
    }
    obs.push({ key: 'a', eventTime: 10 * HOUR, fields: { value: 1 } }); // late: 49 h behind
    obs.push({ key: 'b', eventTime: 61 * HOUR, fields: { value: Number.NaN } });
    const sourceDead: DeadLetter[] = [{ record: 'x', code: 'parse_error', detail: 'bad line' }];
    await rt.ingestExternal(obs, sourceDead);
    const dead = rt.engine.stats.deadLetters;
    expect(dead).toEqual({ late_record: 1, non_finite: 1, parse_error: 1 });
    for (const [code, n] of Object.entries(dead)) {
      expect(await value(metrics, 'tidecast_dead_letters_total', { pipeline: 'm', code })).toBe(n);
    }
    expect(await value(metrics, 'tidecast_event_lateness_seconds_count', { pipeline: 'm' })).toBe(obs.length); // every record with a key, time and the field
    expect(await value(metrics, 'tidecast_batch_size_events_count', { pipeline: 'm', stage: 'model' })).toBeGreaterThan(0);
    expect(await value(metrics, 'tidecast_batch_size_events_sum', { pipeline: 'm', stage: 'model' })).toBe(rt.engine.stats.steps);
    expect(await value(metrics, 'tidecast_component_events_total', { pipeline: 'm', component: 'pipeline', name: 'imputed_steps' })).toBe(
      2,
    );
    expect(await value(metrics, 'tidecast_sink_writes_total', { pipeline: 'm', sink: 'file', outcome: 'ok' })).toBe(1);
    expect(rt.engine.stats.alerts).toBeGreaterThan(0);
    const firing =
      (await value(metrics, 'tidecast_alerts_firing', { pipeline: 'm', severity: 'warning' })) +
      (await value(metrics, 'tidecast_alerts_firing', { pipeline: 'm', severity: 'critical' }));
    const fired = await value(metrics, 'tidecast_alert_events_total', { pipeline: 'm', state: 'firing' });
    const resolved = await value(metrics, 'tidecast_alert_events_total', { pipeline: 'm', state: 'resolved' });
    expect(fired).toBeGreaterThan(0);
    expect(firing).toBe(fired - resolved);
    await Promise.all(rt.sinks.map((s) => s.close()));
  });
});
