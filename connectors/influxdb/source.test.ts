import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TidecastError } from '../../src/core/errors.js';
import type { Observation } from '../../src/core/types.js';
import { InfluxSourceConfig } from './config.js';
import type { PageReader, PageRow } from './page-query.js';
import { InfluxSource } from './source.js';

// The source's bookkeeping over an in-memory table that pages like the server does (time order,
// ties by tag, WHERE time in range, LIMIT/OFFSET). Against a real server: test/integration/influx-*.

class Table implements PageReader {
  rows: PageRow[] = [];
  failNext = 0;
  reads = 0;
  add(station: string, time: number, v: unknown = time / 1000): void {
    this.rows.push({ time, tags: [station], values: [v] });
    this.rows.sort((a, b) => a.time - b.time || String(a.tags[0]).localeCompare(String(b.tags[0])));
  }
  readPage(q: { start: number; stop?: number; limit: number; offset: number }): Promise<PageRow[]> {
    this.reads++;
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new TidecastError('connect ECONNREFUSED', 'broker_down', true));
    }
    const inRange = this.rows.filter((r) => r.time >= q.start && (q.stop === undefined || r.time < q.stop));
    return Promise.resolve(inRange.slice(q.offset, q.offset + q.limit));
  }
}

const cfg = InfluxSourceConfig.parse({
  connection: { api: 'v1', url: 'http://127.0.0.1:1', database: 'unused' },
  measurement: 'm',
  fields: ['v'],
  stream_tags: ['station'],
  page_size: 4,
  poll_interval_ms: 1,
  overlap_ms: 10_000,
});
const fast = { sleep: () => Promise.resolve(), retry: { initial_ms: 1, max_ms: 1, factor: 1, jitter: 0 } };
const pairs = (obs: readonly Observation[]): [string, number][] => obs.map((o) => [o.key, o.eventTime]);

describe('InfluxSource', () => {
  it('hands over from backfill to tail with no gap and no duplicate, including late writes inside the overlap', async () => {
    const table = new Table();
    for (let t = 1_000; t <= 10_000; t += 1_000) for (const s of ['a', 'b']) table.add(s, t);
    const source = new InfluxSource(cfg, { ...fast, reader: table });
    const seen: Observation[] = [];
    for await (const page of source.backfill({ start: 0, stop: 10_500 })) seen.push(...page);
    expect(seen).toHaveLength(20);

    const abort = new AbortController();
    const tail = source.tail(abort.signal);
    table.add('a', 10_400); // written after the backfill read, before its stop
    table.add('a', 11_000);
    table.add('b', 3_000, 'dup'); // same time as a seen point: a rewrite, not a new point
    seen.push(...((await tail.next()).value as Observation[]));
    table.add('b', 9_500); // late: older than b's newest, within the overlap window
    table.add('b', -5_000); // late beyond the window (and before the floor): not seen by design
    seen.push(...((await tail.next()).value as Observation[]));
    abort.abort();
    await tail.return(undefined);

    expect(pairs(seen.slice(20))).toEqual([
      ['m/a', 10_400],
      ['m/a', 11_000],
      ['m/b', 9_500],
    ]);
    expect(new Set(pairs(seen).map(([k, t]) => `${k}@${t}`)).size).toBe(seen.length);
    expect(source.lastSeen()).toEqual(
      new Map([
        ['m/a', 11_000],
        ['m/b', 10_000],
      ]),
    );
  });

  it('retries transient read failures and resumes where it stopped', async () => {
    const table = new Table();
    for (let t = 1; t <= 9; t++) table.add('a', t * 1000);
    const warnings: unknown[] = [];
    const source = new InfluxSource(cfg, { ...fast, reader: table, warn: (e) => warnings.push(e) });
    const it = source.backfill({ start: 0, stop: 100_000 });
    const first = (await it.next()).value as Observation[];
    table.failNext = 2;
    const rest: Observation[] = [];
    for await (const page of { [Symbol.asyncIterator]: () => it }) rest.push(...page);
    expect([...first, ...rest].map((o) => o.eventTime)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((x) => x * 1000));
    expect(source.stats.retries).toBe(2);
    expect(warnings).toHaveLength(2);
  });

  it('dead-letters rows it cannot use and counts them', async () => {
    const table = new Table();
    table.add('a', 1_000, 'text');
    table.add('a', 2_000, 2);
    table.rows.push({ time: 3_000, tags: [null], values: [3] });
    const dead: unknown[] = [];
    const source = new InfluxSource(cfg, { ...fast, reader: table, deadLetter: (d) => dead.push(d) });
    const out: Observation[] = [];
    for await (const page of source.backfill({ start: 0, stop: 10_000 })) out.push(...page);
    expect(out.map((o) => o.fields)).toEqual([{ v: 2 }]);
    expect(dead).toMatchObject([
      {
        code: 'schema_mismatch',
        detail: 'field "v" is string "text", expected a number',
        origin: { connector: 'influxdb', offset: '1000' },
      },
      { code: 'schema_mismatch', detail: 'stream tag "station" is missing' },
    ]);
    expect(source.stats.deadLettered).toBe(2);
  });

  it('as an Observable: backfill pages then tail pages, stopped by unsubscribing', async () => {
    const table = new Table();
    for (let t = 1; t <= 6; t++) table.add('a', t * 1000);
    const source = new InfluxSource(cfg, { ...fast, reader: table });
    const pages = await firstValueFrom(source.observe({ start: 0, stop: 4_500 }).pipe(take(2), toArray()));
    expect(pages.map((p) => p.map((o) => o.eventTime))).toEqual([
      [1000, 2000, 3000, 4000],
      [5000, 6000],
    ]);
    const reads = table.reads;
    await new Promise((r) => setTimeout(r, 20));
    expect(table.reads - reads).toBeLessThanOrEqual(1); // the poll loop ended with the subscription
  });
});
