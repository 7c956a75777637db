import type { FileSourceConfig } from './config.js';
import { lineChunks } from './line-chunks.js';
import { RowParser } from './parse-row.js';

// The geometry of one lap of a looped file source (`loop: true`): how many data rows a lap has (the
// unit of the resume position) and how far each lap's event times are shifted. The shift is the
// sample's span (last minus first event time) plus its smallest step (the smallest positive gap
// between consecutive distinct times), so lap n+1 begins one step after lap n ended and every
// stream's times keep increasing. One read of the file at start: meant for bundled samples.

export interface SampleLap {
  /** Data rows (non-empty lines after the header), the same count the source's position uses. */
  readonly rows: number;
  /** Rows that gave at least one observation: 0 means there is nothing to loop. */
  readonly observing: number;
  /** Event-time shift per lap in ms; 0 when the sample has fewer than two distinct times. */
  readonly shiftMs: number;
}

export async function measureSampleLap(config: FileSourceConfig): Promise<SampleLap> {
  const parser = new RowParser(config);
  let header = config.format === 'csv';
  let rows = 0;
  let observing = 0;
  let first = Infinity;
  let last = -Infinity;
  let step = Infinity;
  let prev = NaN;
  for await (const lines of lineChunks(config.path)) {
    for (const line of lines) {
      if (header) {
        header = false;
        const problem = parser.setHeader(line);
        if (problem !== undefined) throw new Error(`${config.path}: ${problem}`);
        continue;
      }
      if (line.trim() === '') continue;
      const r = parser.parse(line, { connector: 'loop', partition: 0, offset: String(rows) });
      rows++;
      if (!r.ok || r.observations.length === 0) continue;
      observing++;
      const t = r.observations[0].eventTime;
      if (t < first) first = t;
      if (t > last) last = t;
      const gap = Math.abs(t - prev);
      if (gap > 0 && gap < step) step = gap;
      prev = t;
    }
  }
  const shiftMs = observing > 0 && Number.isFinite(step) ? last - first + step : 0;
  return { rows, observing, shiftMs };
}
