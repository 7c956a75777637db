import { Point } from '@influxdata/influxdb-client';
import { describe, expect, inject, it } from 'vitest';
import { InfluxSourceConfig } from '../../connectors/influxdb/config.js';
import { toLine } from '../../connectors/influxdb/points.js';
import { InfluxSource } from '../../connectors/influxdb/source.js';
import { InfluxV1Http } from '../../connectors/influxdb/v1-http.js';
import type { DeadLetter, Observation } from '../../src/core/types.js';
import { FAST_RETRY, createDatabase, waitFor } from '../helpers/influx-test-kit.js';

// A known series is backfilled in pages, then new points written while the source tails are picked up:
// every point exactly once, in time order per stream, across the handover.

const STEP = 10_000;
const T0 = Date.UTC(2024, 5, 1);
const STATIONS = ['KSEA', 'KPDX', 'KSFO'];

const value = (station: string, i: number): number => i * 0.5 + STATIONS.indexOf(station) * 1000;

function line(station: string, i: number): string {
  const p = new Point('weather')
    .tag('station', station)
    .tag('source', 'metar')
    .floatField('temp_c', value(station, i))
    .floatField('rh', i % 100)
    .timestamp(T0 + i * STEP);
  return toLine(p) as string;
}

describe('InfluxDB 1.x source', () => {
  it('backfills a known series then tails new points: each exactly once, in order', async () => {
    const url = inject('influxV1Url');
    const database = await createDatabase(url);
    const http = new InfluxV1Http({ api: 'v1', url, database, timeout_ms: 10_000 });
    const HISTORY = 400;
    const history: string[] = [];
    for (let i = 0; i < HISTORY; i++) for (const s of STATIONS) history.push(line(s, i));
    // A point from another source (filtered out) and one without a station tag (dead-lettered): never emitted.
    history.push(
      toLine(
        new Point('weather')
          .tag('station', 'KSEA')
          .tag('source', 'other')
          .floatField('temp_c', -99)
          .timestamp(T0 + 5 * STEP),
      ) as string,
    );
    await http.write(history);
    await http.write([
      toLine(
        new Point('weather')
          .tag('source', 'metar')
          .floatField('temp_c', 1)
          .timestamp(T0 + 7 * STEP),
      ) as string,
    ]);

    const dead: DeadLetter[] = [];
    const cfg = InfluxSourceConfig.parse({
      connection: { api: 'v1', url, database },
      measurement: 'weather',
      fields: ['temp_c'],
      stream_tags: ['station'],
      tag_filter: { source: 'metar' },
      page_size: 101, // not a multiple of 3: pages end inside a timestamp
      poll_interval_ms: 50,
      overlap_ms: 20 * STEP,
    });
    const source = new InfluxSource(cfg, { deadLetter: (d) => dead.push(d), retry: FAST_RETRY });
    const seen: Observation[] = [];
    for await (const page of source.backfill({ start: T0, stop: Date.now() })) seen.push(...page);
    expect(seen).toHaveLength(HISTORY * STATIONS.length);
    expect(dead.map((d) => [d.code, d.detail, d.origin?.offset])).toEqual([
      ['schema_mismatch', 'stream tag "station" is missing', String(T0 + 7 * STEP)],
    ]);

    const abort = new AbortController();
    const tailing = (async () => {
      for await (const page of source.tail(abort.signal)) seen.push(...page);
    })();
    // New points arrive while tailing, streams at different paces: KSFO lags the others by up to 8 steps.
    const next = { KSEA: HISTORY, KPDX: HISTORY, KSFO: HISTORY } as Record<string, number>;
    for (let round = 0; round < 6; round++) {
      const batch: string[] = [];
      for (const s of STATIONS) {
        const n = s === 'KSFO' ? (round % 2 === 0 ? 0 : 8) : 4;
        for (let k = 0; k < n; k++) batch.push(line(s, next[s]++));
      }
      await http.write(batch);
      const polls = source.stats.polls;
      await waitFor('two more polls', () => (source.stats.polls >= polls + 2 ? true : undefined));
    }
    const total = Object.values(next).reduce((a, b) => a + b, 0);
    await waitFor('all points', () => (seen.length >= total ? true : undefined));
    const polls = source.stats.polls;
    await waitFor('three more polls', () => (source.stats.polls >= polls + 3 ? true : undefined));
    abort.abort();
    await tailing;

    expect(seen).toHaveLength(total);
    for (const s of STATIONS) {
      const mine = seen.filter((o) => o.key === `weather/${s}`);
      const expected = Array.from({ length: next[s] }, (_, i) => [T0 + i * STEP, { temp_c: value(s, i) }]);
      expect(mine.map((o) => [o.eventTime, o.fields])).toEqual(expected);
    }
    expect(source.stats.duplicates).toBeGreaterThan(0); // the overlap window was re-read and deduplicated
  });
});
