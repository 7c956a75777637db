// bench:coldstart-engine: the engine's cold start (model.cold_start_neighbours, issue 13 item 4) on
// the ICU vitals (streams `<stay>/<vital>`, hourly steps). The offline fit reads the first
// `--fitted` streams of the file (training.offline.read_streams); every other stream is new to it.
// The whole file is replayed twice, without cold start (new streams start from zeros) and with it
// (a new stream starts from the mean embedding of its key-nearest fitted streams: the same vital of
// other stays), and the served one-step forecasts of the new streams' first `--steps` steps are
// scored: MSE per stream divided by naive (the last value)'s, averaged over the new streams, and
// pooled MSE in data units. `npm run bench:coldstart-engine [-- --json] [-- --data DIR] [-- --fitted N]
// [-- --forecaster hybrid|recurrent]`
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePipelineText } from '../src/config/load-pipeline.js';
import { replayFile } from '../src/runtime/replay/replay.js';
import { silentLogger } from '../src/telemetry/logger.js';

const args = process.argv.slice(2);
const at = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const dir = at('--data') ?? resolve(new URL('..', import.meta.url).pathname, '../shared/data');
const fitted = Number(at('--fitted') ?? 300);
const steps = Number(at('--steps') ?? 24);
const forecaster = at('--forecaster') ?? 'recurrent';

function spec(neighbours: number) {
  const r = parsePipelineText(
    `name: icu
step_ms: 3600000
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, units: 16, horizon: 4, seed: 1, forecaster: ${forecaster}, cold_start_neighbours: ${neighbours} }
training: { offline: { steps: 48, read_streams: ${fitted}, max_streams: 32, epochs: 8, max_batches: 64 } }
state: { dir: var/state/icu }
`,
    'icu.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

/** stream -> [actual, forecast] of its rows in order. */
async function rowsOf(path: string): Promise<Map<string, [number, number][]>> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  const head = lines[0].split(',');
  const [ks, ka, kf] = ['stream', 'actual', 'forecast'].map((c) => head.indexOf(c));
  const out = new Map<string, [number, number][]>();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    let r = out.get(f[ks]);
    if (r === undefined) out.set(f[ks], (r = []));
    r.push([f[ka] === '' ? Number.NaN : Number(f[ka]), f[kf] === '' ? Number.NaN : Number(f[kf])]);
  }
  return out;
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'tidecast-coldstart-'));
  const input = join(dir, 'health/icu_vitals.csv');
  const started = performance.now();
  const runs: Record<string, Map<string, [number, number][]>> = {};
  for (const [name, k] of [
    ['zeros', 0],
    ['coldStart', 3],
  ] as const) {
    const output = join(tmp, `${name}.csv`);
    await replayFile(spec(k), { input, output, log: silentLogger() });
    runs[name] = await rowsOf(output);
  }
  await rm(tmp, { recursive: true, force: true });
  // The fitted streams: the first `fitted` distinct streams of the file.
  const seen: string[] = [];
  for (const line of (await readFile(input, 'utf8')).split('\n').slice(1)) {
    const key = line.slice(0, line.indexOf(','));
    if (key !== '' && !seen.includes(key)) seen.push(key);
    if (seen.length >= fitted) break;
  }
  const fittedSet = new Set(seen);
  const result: Record<string, { ratio: number; mse: number; streams: number }> = {};
  for (const [name, rows] of Object.entries(runs)) {
    let ratioSum = 0,
      n = 0,
      sse = 0,
      count = 0;
    for (const [key, r] of rows) {
      if (fittedSet.has(key)) continue;
      let e = 0,
        naive = 0;
      for (let i = 1; i < Math.min(r.length, steps + 1); i++) {
        const [y, f] = r[i];
        const prev = r[i - 1][0];
        if (!Number.isFinite(y) || !Number.isFinite(f) || !Number.isFinite(prev)) continue;
        e += (f - y) ** 2;
        naive += (prev - y) ** 2;
        sse += (f - y) ** 2;
        count++;
      }
      if (naive > 0) {
        ratioSum += e / naive;
        n++;
      }
    }
    result[name] = { ratio: ratioSum / n, mse: sse / count, streams: n };
  }
  const seconds = (performance.now() - started) / 1000;
  if (args.includes('--json')) {
    console.log(JSON.stringify({ fitted, steps, forecaster, ...result, seconds }));
    return;
  }
  console.log(`\nCold start on the ICU vitals: new streams' first ${steps} one-step forecasts (${fitted} streams fitted, ${forecaster})`);
  console.log('| start | new streams | MSE / naive (mean per stream) | pooled MSE |\n|---|---|---|---|');
  for (const [name, r] of Object.entries(result)) console.log(`| ${name} | ${r.streams} | ${r.ratio.toFixed(4)} | ${r.mse.toFixed(3)} |`);
  console.log(`total ${seconds.toFixed(1)} s`);
}

await main();
