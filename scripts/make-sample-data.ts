// Regenerates the sample data bundled in data/ from the full sets in ../shared/data (see its README):
// a few weather columns of WTH.csv (NOAA, public domain), a few tickers of sp500_daily.csv (CC0) and a
// few Fitbit heart-rate users (CC0 / CC BY 4.0, Furberg et al. 2016). Values are copied verbatim; only
// rows and columns are selected (and WTH's wide rows turned into stream,timestamp,value rows).
// ETT (CC BY-ND) and the ICU data are deliberately not used.
//
//   npx tsx scripts/make-sample-data.ts [--from ../shared/data] [--out data] [--check]
// --check writes nothing and exits 1 if the files in --out differ from what would be generated.
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '..');

/** WTH.csv column -> stream id (units in the name). */
export const WEATHER_COLUMNS: Readonly<Record<string, string>> = {
  DryBulbCelsius: 'temp_c',
  WetBulbCelsius: 'wet_bulb_c',
  RelativeHumidity: 'humidity_pct',
  StationPressure: 'pressure_inhg',
};
export const WEATHER_DAYS = 45;

/** AMD 2016-04-22, LNT 2016-05-19/20 and NWL 2017-09-15 moved by more than 40%: alerts worth seeing. */
export const STOCK_TICKERS = ['AAPL', 'AMD', 'LNT', 'MSFT', 'NWL'];
export const STOCK_FROM = '2015-06-01';
export const STOCK_TO = '2017-10-31';

/** Three users with dense records on the same morning. */
export const HEALTH_USERS = ['2022484408', '2347167796', '4388161847'];
export const HEALTH_FROM = '2016-04-15T06:00:00';
export const HEALTH_TO = '2016-04-15T12:00:00';

async function* lines(path: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of rl) if (line.trim() !== '') yield line;
}

/** "1/2/2010 13:00" -> "2010-01-02T13:00" (UTC; the source has no zone). */
export function usToIso(s: string): string {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) throw new Error(`Unexpected WTH date "${s}".`);
  const p = (x: string) => x.padStart(2, '0');
  return `${m[3]}-${p(m[1])}-${p(m[2])}T${p(m[4])}:${m[5]}`;
}

export async function weatherRows(file: string): Promise<string[]> {
  const out: string[] = [];
  let header: string[] | null = null;
  let first: number | null = null;
  for await (const line of lines(file)) {
    const cells = line.split(',');
    if (header === null) {
      header = cells;
      continue;
    }
    const iso = usToIso(cells[0]);
    const t = Date.parse(`${iso}Z`);
    first ??= t;
    if (t >= first + WEATHER_DAYS * 86_400_000) break;
    for (const [col, id] of Object.entries(WEATHER_COLUMNS)) {
      const v = cells[header.indexOf(col)];
      if (v !== undefined && v !== '') out.push(`${id},${iso},${v}`);
    }
  }
  return out;
}

export async function stockRows(file: string): Promise<string[]> {
  const out: string[] = [];
  const wanted = new Set(STOCK_TICKERS);
  let header = true;
  for await (const line of lines(file)) {
    if (header) {
      header = false;
      continue;
    }
    const [stream, day, close] = line.split(',');
    if (wanted.has(stream) && day >= STOCK_FROM && day <= STOCK_TO) out.push(`${stream},${day},${close}`);
  }
  return out;
}

export async function healthRows(file: string): Promise<string[]> {
  const out: string[] = [];
  const wanted = new Set(HEALTH_USERS);
  let header = true;
  for await (const line of lines(file)) {
    if (header) {
      header = false;
      continue;
    }
    const [stream, ts, bpm] = line.split(',');
    if (wanted.has(stream) && ts >= HEALTH_FROM && ts < HEALTH_TO) out.push(`${stream},${ts},${bpm}`);
  }
  return out;
}

/** Sorted by timestamp, then stream: the order a live feed would give. */
function toCsv(rows: string[]): string {
  const keyed = rows.map((r) => {
    const [s, t] = r.split(',');
    return { r, s, t };
  });
  keyed.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  return `stream,timestamp,value\n${keyed.map((k) => k.r).join('\n')}\n`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const from = resolve(ROOT, arg('--from', '../shared/data'));
  const out = resolve(ROOT, arg('--out', 'data'));
  const check = args.includes('--check');
  const files: Record<string, string> = {
    'weather.csv': toCsv(await weatherRows(join(from, 'WTH.csv'))),
    'stocks.csv': toCsv(await stockRows(join(from, 'stocks', 'sp500_daily.csv'))),
    'health.csv': toCsv(await healthRows(join(from, 'health', 'fitbit_heartrate.csv'))),
  };
  let differs = false;
  for (const [name, text] of Object.entries(files)) {
    const path = join(out, name);
    const rows = text.split('\n').length - 2;
    if (check) {
      const same = existsSync(path) && readFileSync(path, 'utf8') === text;
      differs ||= !same;
      console.log(`${same ? 'ok     ' : 'DIFFERS'} ${path} (${rows} rows)`);
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${path}: ${rows} rows, ${(text.length / 1024).toFixed(0)} KiB`);
    }
  }
  if (differs) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
