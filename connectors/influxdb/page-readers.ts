import { fluxPage } from './flux.js';
import { influxqlPage } from './influxql.js';
import type { PageQuery, PageReader, PageRow } from './page-query.js';
import type { InfluxV1Http } from './v1-http.js';
import type { InfluxV2Api } from './v2-api.js';

/** InfluxQL pages: columns come back as selected (time, fields..., tags...), so they are read by position. */
export function v1PageReader(http: InfluxV1Http, retentionPolicy?: string): PageReader {
  return {
    async readPage(q: PageQuery, signal?: AbortSignal): Promise<PageRow[]> {
      const series = await http.query(influxqlPage(q, retentionPolicy), signal);
      const rows: PageRow[] = [];
      const nf = q.fields.length;
      for (const s of series) {
        for (const v of s.values) {
          rows.push({
            time: Number(v[0]),
            values: v.slice(1, 1 + nf),
            tags: v.slice(1 + nf, 1 + nf + q.tags.length).map((t) => (typeof t === 'string' ? t : null)),
          });
        }
      }
      return rows;
    },
  };
}

/** Flux pages: one table with fields pivoted into columns. */
export function v2PageReader(api: InfluxV2Api, bucket: string): PageReader {
  return {
    async readPage(q: PageQuery, signal?: AbortSignal): Promise<PageRow[]> {
      const rows: PageRow[] = [];
      for await (const r of api.rows(fluxPage(q, bucket), signal)) {
        rows.push({
          time: Date.parse(String(r._time)),
          values: q.fields.map((f) => r[f] ?? null),
          tags: q.tags.map((t) => (typeof r[t] === 'string' ? (r[t] as string) : null)),
        });
      }
      return rows;
    },
  };
}
