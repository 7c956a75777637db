import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../src/core/alert-event.js';
import type { IngestBatch } from '../../src/core/ports.js';
import { InfluxSinkConfig, InfluxSourceConfig } from './config.js';
import type { PageQuery, PageReader, PageRow } from './page-query.js';
import { influxOutputSink, influxRuntimeSource } from './runtime.js';

const rowsReader = (rows: PageRow[]): PageReader => ({
  readPage: (q: PageQuery) =>
    Promise.resolve(rows.filter((r) => r.time >= q.start && (q.stop === undefined || r.time < q.stop)).slice(q.offset, q.offset + q.limit)),
});

const sourceCfg = InfluxSourceConfig.parse({
  connection: { api: 'v1', url: 'http://127.0.0.1:1', database: 'd' },
  measurement: 'm',
  fields: ['v'],
  page_size: 2,
  backfill_start: '1970-01-01T00:00:00Z',
  backfill_stop: '1970-01-01T00:01:00Z',
});

describe('influxRuntimeSource', () => {
  it('yields backfill pages with their dead letters and the newest time as position, and ends when not paced', async () => {
    const rows: PageRow[] = [1, 2, 3].map((s) => ({ time: s * 1000, tags: [], values: [s] }));
    rows.splice(1, 0, { time: 1500, tags: [], values: ['x'] });
    const src = influxRuntimeSource(sourceCfg, { name: 'hist', paced: false }, { reader: rowsReader(rows) });
    const got: IngestBatch[] = [];
    for await (const b of src.batches(new AbortController().signal, undefined)) got.push(b);
    expect(got.map((b) => [b.observations.map((o) => o.eventTime), b.deadLetters.map((d) => d.code), b.position])).toEqual([
      [[1000], ['schema_mismatch'], 1000],
      [[2000, 3000], [], 3000],
    ]);
  });

  it('resumes from a checkpointed position', async () => {
    const rows: PageRow[] = [1, 2, 3, 4].map((s) => ({ time: s * 1000, tags: [], values: [s] }));
    const src = influxRuntimeSource(sourceCfg, { name: 'hist', paced: false }, { reader: rowsReader(rows) });
    const times: number[] = [];
    for await (const b of src.batches(new AbortController().signal, 3000)) times.push(...b.observations.map((o) => o.eventTime));
    expect(times).toEqual([3000, 4000]);
  });
});

describe('influxOutputSink', () => {
  it('starts writes at once and flush waits until they are durable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidecast-rt-sink-'));
    const written: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const writer = {
      write: async (lines: readonly string[]) => {
        await gate;
        written.push(...lines);
      },
    };
    const out = influxOutputSink(
      InfluxSinkConfig.parse({ connection: { api: 'v1', url: 'http://127.0.0.1:1', database: 'd' }, spill_path: join(dir, 's') }),
      { writer },
    );
    const alert = {
      pipeline: 'p',
      stream: 's',
      rule: 'r',
      state: 'firing',
      severity: 'warning',
      time: 5,
      actual: 1,
      score: 0.99,
    } as AlertEvent;
    await out.write({ forecasts: [], alerts: [alert], deadLetters: [] }, new AbortController().signal);
    let flushed = false;
    const f = out.flush(true).then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(flushed).toBe(false);
    release();
    await f;
    expect(written).toEqual(['tidecast_alert,pipeline=p,rule=r,severity=warning,state=firing,stream=s actual=1,score=0.99 5']);
    await out.close();
    await rm(dir, { recursive: true, force: true });
  });
});
