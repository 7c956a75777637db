import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InfluxSinkConfig } from '../../connectors/influxdb/config.js';
import { InfluxSink } from '../../connectors/influxdb/sink.js';
import type { Forecast } from '../../src/core/types.js';
import { FAST_RETRY, uniqueName, waitFor } from '../helpers/influx-test-kit.js';

// The v2 write path (@influxdata/influxdb-client -> /api/v2/write) against a real server that accepts it:
// VictoriaMetrics. Points are read back through its export API, where field f of measurement m is
// the metric m_f and tags are labels.

interface Exported {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

const STEP = 30_000;
const T0 = Date.UTC(2024, 3, 1);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-vm-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function exportSeries(url: string, measurement: string): Promise<Exported[]> {
  await fetch(new URL('/internal/force_flush', url)).then((r) => r.arrayBuffer());
  const res = await fetch(new URL(`/api/v1/export?${new URLSearchParams({ 'match[]': `{__name__=~"${measurement}_.*"}` })}`, url));
  const text = await res.text();
  if (!res.ok) throw new Error(`export: HTTP ${res.status} ${text}`);
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Exported);
}

describe('v2 write path against VictoriaMetrics', () => {
  it('writes forecasts and alerts that export back equal', async () => {
    const url = inject('victoriaMetricsUrl');
    const forecastM = uniqueName('fc');
    const alertM = uniqueName('al');
    const cfg = InfluxSinkConfig.parse({
      connection: { api: 'v2', url, token: 'unused', org: 'tidecast', bucket: 'forecasts' },
      forecast_measurement: forecastM,
      alert_measurement: alertM,
      batch_size: 10,
      spill_path: join(dir, 'spill.jsonl'),
      retry: FAST_RETRY,
    });
    const sink = new InfluxSink(cfg);
    const fcs: Forecast[] = Array.from({ length: 8 }, (_, i) => ({
      pipeline: 'stocks',
      key: 'stocks/ACME/close',
      t: T0 + i * STEP,
      stepMs: STEP,
      modelVersion: 'gru-7',
      mean: Float64Array.of(100 + i, 101 + i),
      lower: Float64Array.of(99 + i, 98.5 + i),
      upper: Float64Array.of(101 + i, 103.25 + i),
    }));
    await sink.writeForecasts(fcs.map((forecast) => ({ forecast })));
    await sink.writeAlerts([
      {
        pipeline: 'stocks',
        stream: 'stocks/ACME/close',
        time: T0 + 3 * STEP,
        state: 'firing',
        severity: 'warning',
        score: 3.5,
        actual: 90.25,
        rule: 'drop',
      },
    ]);
    await sink.close();
    expect(sink.stats.written).toBe(8 * 2 + 1);

    const got = await waitFor('exported series', async () => {
      const s = await exportSeries(url, forecastM);
      return s.length === 6 ? s : undefined;
    });
    const byName = new Map(got.map((s) => [`${s.metric.__name__}|${s.metric.horizon}`, s]));
    for (const field of ['mean', 'lower', 'upper'] as const) {
      for (const h of [1, 2]) {
        const s = byName.get(`${forecastM}_${field}|${h}`);
        expect(s?.metric).toMatchObject({ pipeline: 'stocks', stream: 'stocks/ACME/close', model_version: 'gru-7', horizon: String(h) });
        expect(s?.timestamps).toEqual(fcs.map((f) => f.t + h * STEP));
        expect(s?.values).toEqual(fcs.map((f) => f[field][h - 1]));
      }
    }
    const alerts = await exportSeries(url, alertM);
    expect(alerts.map((s) => [s.metric.__name__, s.metric.state, s.metric.rule, s.timestamps, s.values]).sort()).toEqual([
      [`${alertM}_actual`, 'firing', 'drop', [T0 + 3 * STEP], [90.25]],
      [`${alertM}_score`, 'firing', 'drop', [T0 + 3 * STEP], [3.5]],
    ]);
  });
});
