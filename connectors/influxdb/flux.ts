import { fluxString as libFluxString } from '@influxdata/influxdb-client';
import { filterValues, type PageQuery } from './page-query.js';

// Flux text for a source page: one table of rows with the fields pivoted into columns, in time order.

/** A Flux string literal, escaped by the client library. */
export function fluxString(value: string): string {
  return libFluxString(value).toString();
}

function fluxTime(ms: number): string {
  return new Date(ms).toISOString();
}

function col(name: string): string {
  return `r[${fluxString(name)}]`;
}

// Far enough ahead that open-ended tails see points stamped slightly in the future.
const OPEN_STOP = '2200-01-01T00:00:00.000Z';

export function fluxPage(q: PageQuery, bucket: string): string {
  const stop = q.stop === undefined ? OPEN_STOP : fluxTime(q.stop);
  const fieldTest = q.fields.map((f) => `r._field == ${fluxString(f)}`).join(' or ');
  const lines = [
    `from(bucket: ${fluxString(bucket)})`,
    `  |> range(start: ${fluxTime(q.start)}, stop: ${stop})`,
    `  |> filter(fn: (r) => r._measurement == ${fluxString(q.measurement)})`,
    `  |> filter(fn: (r) => ${fieldTest})`,
  ];
  for (const [tag, v] of Object.entries(q.tagFilter)) {
    const ors = filterValues(v).map((x) => `${col(tag)} == ${fluxString(x)}`);
    lines.push(`  |> filter(fn: (r) => ${ors.join(' or ')})`);
  }
  const keep = ['_time', ...q.fields, ...q.tags].map(fluxString).join(', ');
  const sortCols = ['_time', ...q.tags].map(fluxString).join(', ');
  lines.push(
    '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
    '  |> group()',
    `  |> keep(columns: [${keep}])`,
    `  |> sort(columns: [${sortCols}])`,
    `  |> limit(n: ${q.limit}, offset: ${q.offset})`,
  );
  return lines.join('\n');
}
