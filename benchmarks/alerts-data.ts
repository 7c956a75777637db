// Real streams for the alerting bench, from /work/shared/data, on a regular grid.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchStream {
  readonly key: string;
  readonly domain: 'weather' | 'stocks' | 'health';
  readonly stepMs: number;
  readonly t0: number;
  readonly values: Float64Array;
  /** 1 where the grid step had no observation and was filled in (never scored). */
  readonly imputed: Uint8Array;
  /** Seasonal period in steps for the fallback forecaster (0 = none). */
  readonly season: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MIN = 60_000;

export function dataDir(): string {
  return process.env.TIDECAST_DATA ?? '/work/shared/data';
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

/** WTH.csv's value columns (every column but the date). */
export function wthColumns(dir: string): string[] {
  return readFileSync(join(dir, 'WTH.csv'), 'utf8').slice(0, 2000).split('\n')[0].split(',').slice(1);
}

/** The tickers met in the first `rows` rows of sp500_daily.csv (sorted by ticker, then date), in file order. */
export function firstTickers(dir: string, rows: number): string[] {
  const names = lines(join(dir, 'stocks', 'sp500_daily.csv'))
    .slice(1, rows)
    .map((l) => l.slice(0, l.indexOf(',')));
  return [...new Set(names.filter((t) => t !== ''))];
}

/** WTH.csv: hourly NOAA weather, a few columns as separate streams, from row `offset` on. */
export function weatherStreams(dir: string, columns: readonly string[], steps: number, offset = 0): BenchStream[] {
  const rows = lines(join(dir, 'WTH.csv'));
  const header = rows[0].split(',');
  return columns.map((c) => {
    const col = header.indexOf(c);
    if (col < 0) throw new Error(`WTH.csv has no column ${c}`);
    const values = new Float64Array(Math.max(0, Math.min(steps, rows.length - 1 - offset)));
    for (let i = 0; i < values.length; i++) values[i] = Number(rows[i + 1 + offset].split(',')[col]);
    return {
      key: `weather/WTH/${c}`,
      domain: 'weather',
      stepMs: HOUR,
      t0: Date.UTC(2010, 0, 1) + offset * HOUR,
      values,
      imputed: new Uint8Array(values.length),
      season: 24,
    };
  });
}

/** S&P 500 daily closes of chosen tickers; the trading-day sequence is the grid. */
export function stockStreams(dir: string, tickers: readonly string[]): BenchStream[] {
  const wanted = new Map(tickers.map((t) => [t, [] as number[]]));
  const rows = lines(join(dir, 'stocks', 'sp500_daily.csv'));
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i];
    const comma = r.indexOf(',');
    const list = wanted.get(r.slice(0, comma));
    if (list) list.push(Number(r.split(',')[2]));
  }
  return tickers.map((t) => {
    const values = Float64Array.from(wanted.get(t) ?? []);
    return {
      key: `stocks/${t}/close`,
      domain: 'stocks',
      stepMs: DAY,
      t0: Date.UTC(2013, 1, 8),
      values,
      imputed: new Uint8Array(values.length),
      season: 0,
    };
  });
}

/**
 * Fitbit heart rate: per user, one-minute means; gaps up to `maxGapMin` minutes are filled linearly
 * (marked imputed), longer gaps split the user's record into segments. Keeps segments of at least
 * `minSteps` and at most `maxSteps` per user.
 */
export function heartRateStreams(dir: string, users: number, minSteps: number, maxSteps: number, maxGapMin = 5): BenchStream[] {
  const byUser = new Map<string, Map<number, [number, number]>>();
  const rows = lines(join(dir, 'health', 'fitbit_heartrate.csv'));
  for (let i = 1; i < rows.length; i++) {
    const [user, ts, v] = rows[i].split(',');
    const minute = Math.floor(Date.parse(`${ts}Z`) / MIN);
    let m = byUser.get(user);
    if (!m) byUser.set(user, (m = new Map()));
    const acc = m.get(minute);
    if (acc) {
      acc[0] += Number(v);
      acc[1]++;
    } else m.set(minute, [Number(v), 1]);
  }
  const out: BenchStream[] = [];
  const ranked = [...byUser.entries()].sort((a, b) => b[1].size - a[1].size).slice(0, users);
  for (const [user, m] of ranked) {
    let left = maxSteps;
    for (const seg of segments(m, maxGapMin)) {
      if (seg.values.length < minSteps || left < minSteps) continue;
      const n = Math.min(seg.values.length, left);
      left -= n;
      out.push({
        key: `health/${user}/hr@${seg.start}`,
        domain: 'health',
        stepMs: MIN,
        t0: seg.start * MIN,
        values: seg.values.slice(0, n),
        imputed: seg.imputed.slice(0, n),
        season: 0,
      });
    }
  }
  return out;
}

function segments(m: Map<number, [number, number]>, maxGap: number) {
  const minutes = [...m.keys()].sort((a, b) => a - b);
  const segs: Array<{ start: number; values: Float64Array; imputed: Uint8Array }> = [];
  let i = 0;
  while (i < minutes.length) {
    let j = i;
    while (j + 1 < minutes.length && minutes[j + 1] - minutes[j] <= maxGap + 1) j++;
    const start = minutes[i];
    const len = minutes[j] - start + 1;
    const values = new Float64Array(len);
    const imputed = new Uint8Array(len).fill(1);
    for (let k = i; k <= j; k++) {
      const [s, c] = m.get(minutes[k])!;
      values[minutes[k] - start] = s / c;
      imputed[minutes[k] - start] = 0;
    }
    for (let k = i; k < j; k++) {
      const a = minutes[k] - start,
        b = minutes[k + 1] - start;
      for (let x = a + 1; x < b; x++) values[x] = values[a] + ((values[b] - values[a]) * (x - a)) / (b - a);
    }
    segs.push({ start, values, imputed });
    i = j + 1;
  }
  return segs;
}
