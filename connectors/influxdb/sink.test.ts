import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetter, Forecast } from '../../src/core/types.js';
import { InfluxSinkConfig } from './config.js';
import { InfluxSink, defaultSpillPath } from './sink.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-sink-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const v1 = { api: 'v1' as const, url: 'http://127.0.0.1:8086', database: 'weather' };
const f = (t: number, version: string, mean: number): Forecast => ({
  pipeline: 'p',
  key: 's',
  t,
  stepMs: 10,
  modelVersion: version,
  mean: Float64Array.of(mean, mean + 1),
  lower: Float64Array.of(0, 0),
  upper: Float64Array.of(9, 9),
});

describe('InfluxSink', () => {
  it('writes the actual at t into the forecasts that predicted t, under their model versions', async () => {
    const lines: string[] = [];
    const sink = new InfluxSink(InfluxSinkConfig.parse({ connection: v1, forecast_measurement: 'f', spill_path: join(dir, 's') }), {
      writer: {
        write: (l) => {
          lines.push(...l);
          return Promise.resolve();
        },
      },
    });
    await sink.writeForecasts([{ forecast: f(0, 'a', 1) }, { forecast: f(10, 'b', 2), actual: 5 }, { forecast: f(20, 'b', 3), actual: 6 }]);
    await sink.close();
    expect(lines.filter((l) => l.includes('actual'))).toEqual([
      'f,horizon=1,model_version=a,pipeline=p,stream=s actual=5 10',
      'f,horizon=1,model_version=b,pipeline=p,stream=s actual=6 20',
      'f,horizon=2,model_version=a,pipeline=p,stream=s actual=6 20',
    ]);
    expect(lines.filter((l) => !l.includes('actual'))).toHaveLength(6);
  });

  it('dead-letters a non-finite actual and still writes the forecast', async () => {
    const lines: string[] = [];
    const dead: DeadLetter[] = [];
    const sink = new InfluxSink(InfluxSinkConfig.parse({ connection: v1, spill_path: join(dir, 's') }), {
      writer: {
        write: (l) => {
          lines.push(...l);
          return Promise.resolve();
        },
      },
      deadLetter: (d) => dead.push(d),
    });
    await sink.writeForecasts([{ forecast: f(0, 'a', 1) }, { forecast: f(10, 'a', 1), actual: Number.NaN }]);
    await sink.close();
    expect(lines).toHaveLength(4);
    expect(dead.map((d) => [d.code, d.detail])).toEqual([['non_finite', 'Not written (InfluxDB stores finite floats only): actual=NaN']]);
  });

  it('gives each pipeline and destination its own default spill file', () => {
    const cfg = InfluxSinkConfig.parse({ connection: v1 });
    const a = defaultSpillPath(cfg, 'weather');
    expect(a).toMatch(/^var\/influxdb-spill\/[0-9a-f]{16}\.jsonl$/);
    expect(defaultSpillPath(cfg, 'weather')).toBe(a);
    expect(defaultSpillPath(cfg, 'stocks')).not.toBe(a);
    expect(defaultSpillPath(InfluxSinkConfig.parse({ connection: { ...v1, database: 'other' } }), 'weather')).not.toBe(a);
  });
});
