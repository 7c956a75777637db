// Forecast accuracy of what Tidecast serves, as one ablation run (issue 18). Every number comes from
// the engine's own forecasts (listener.forecast, listener.actual) driven by replayInto, the loop of
// `tidecast replay` (model prepared as the daemon does), scored as they are made by
// src/forecasting/forecast-accuracy.ts. Variants: served (the default model.forecaster), readout and
// recurrent (model.forecaster set; 'n/a' where the pipeline schema rejects it), against naive
// (persistence) and seasonal naive.
// - ETTh2 / ETTm1 / WTH under the online-forecasting protocol (accuracy-data.ts): each column a
//   stream of pipelines/<name>.yaml without model.online_head, errors on the z scale fitted on the
//   training rows, scored on the protocol's test windows only, H = 1 and 24 (leak-free by
//   construction: the engine learns only from the past). The multivariate online head of issue 9 is
//   kept as the extra row onlineHead (it rides along in the recurrent run: the head only reads the
//   streams' values, so the per-stream forecasts are the same with or without it).
// - Domains: the weather, stocks and health pipelines of pipelines/demo.yaml over WTH (every column a
//   stream), the 505 S&P 500 tickers and the Fitbit heart rate, H = 1 and the domain's horizon, data
//   units, ratios to persistence per stream averaged over streams; the offline fit's steps are not scored.
// `npm run bench:accuracy [-- --json] [-- --data DIR] [-- --only NAME[,NAME]] [-- --quick] [-- --check] [-- --full] [-- --cells esn,lstm]`
// --cells: the served and recurrent variants again with each listed cell instead of the pipeline's (rows
// served:esn, recurrent:esn; the echo state network as accuracy-specs.ts ESN_BENCH, without online retraining).
// `-- --seq2seq [-- --stride N]`: instead, the encoder-decoder beside the direct head at H = 24 and 96 (accuracy-seq2seq.ts).
// --quick: ETTh2, health and stocks only, no onlineHead row; --check: the onlineHead row against the
// in-process reference (accuracy-in-process.ts); --full: ETT files replayed whole, not cut at the test end.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fitZScore } from '../src/forecasting/z-score.js';
import type { MethodAccuracy } from '../src/forecasting/forecast-accuracy.js';
import { loadDataset, protocolSplit } from './accuracy-data.js';
import { evaluateInProcess } from './accuracy-in-process.js';
import { runJob, type AccuracyJob, type JobResult } from './accuracy-job.js';
import { compareSeq2Seq, DEFAULT_SEQ2SEQ_BENCH, printSeq2SeqTable } from './accuracy-seq2seq.js';
import { VARIANTS, rawPipeline, variantSpec, type Variant } from './accuracy-specs.js';

const DATASETS = ['ETTh2', 'ETTm1', 'WTH'] as const;
const ETT_HORIZONS = [1, 24];
/** Published online-protocol MSE at H = 1 (the papers' own numbers; their H = 24 learns from the future, not comparable). */
const PUBLISHED: Record<string, Record<string, number>> = {
  'naive (paper)': { ETTh2: 0.404, ETTm1: 0.091, WTH: 0.207 },
  FSNet: { ETTh2: 0.466, ETTm1: 0.085, WTH: 0.162 },
  OneNet: { ETTh2: 0.38, ETTm1: 0.082, WTH: 0.156 },
  LSTD: { ETTh2: 0.377, ETTm1: 0.081, WTH: 0.153 },
};
const DOMAINS = ['weather', 'stocks', 'health'] as const;
/** `${variant}:${cell}`: a variant rerun with another recurrent cell (--cells). */
type Row = 'served' | 'readout' | 'recurrent' | 'onlineHead' | 'naive' | 'seasonalNaive' | `${Variant}:${string}`;
/** null: the variant could not run (its model.forecaster value rejected by the schema). */
type Cell = Partial<MethodAccuracy> | null;
type Table = Record<string, Partial<Record<Row, Cell>>>;

interface Options {
  readonly root: string;
  readonly dataDir: string;
  readonly work: string;
  readonly full: boolean;
  readonly check: boolean;
  readonly withHead: boolean;
  /** --cells: recurrent cells run again beside the pipeline's own (served and recurrent variants). */
  readonly cells: readonly string[];
  readonly say: (line: string) => void;
}

const skipped = new Map<string, string>();

type Ran = Extract<JobResult, { ok: true }>;

/**
 * Runs every variant (served first), each replay in its own process; the head, when asked, rides
 * in the recurrent run (or served's when recurrent cannot run). null: the schema rejected the variant.
 */
async function runVariants(
  label: string,
  job: Omit<AccuracyJob, 'variant'>,
  withHead: boolean,
  say: Options['say'],
): Promise<Record<Variant, Ran | null>> {
  const runs = {} as Record<Variant, Ran | null>;
  const recurrentOk = (await variantSpec(job.file, 'recurrent', job.edit)).ok;
  for (const v of VARIANTS) {
    const head = withHead && (v === 'recurrent' || (v === 'served' && !recurrentOk));
    const r = await runJob({ ...job, variant: v, edit: { ...job.edit, keepOnlineHead: head } }, say);
    if (!r.ok) {
      if (v === 'served') throw new Error(`${label}: ${r.reason}`);
      skipped.set(v, r.reason);
      runs[v] = null;
      continue;
    }
    runs[v] = r;
    say(
      `${label} ${v}${head ? ' (+ online head)' : ''}: ${r.rows} rows, ${r.streams} streams, ${r.steps} steps, replay ${r.seconds.toFixed(1)} s (stepping ${r.stepSeconds.toFixed(1)} s, ${r.stepCpuSeconds.toFixed(1)} s CPU)`,
    );
  }
  return runs;
}

/** --cells: the served and recurrent variants again with each cell (rows "served:esn", "recurrent:esn"). */
async function runCells(
  label: string,
  job: Omit<AccuracyJob, 'variant'>,
  cells: readonly string[],
  say: Options['say'],
): Promise<Record<string, Ran>> {
  const out: Record<string, Ran> = {};
  for (const cell of cells) {
    for (const v of ['served', 'recurrent'] as const) {
      const r = await runJob({ ...job, variant: v, edit: { ...job.edit, cell } }, say);
      if (!r.ok) throw new Error(`${label} ${v}:${cell}: ${r.reason}`);
      say(
        `${label} ${v}:${cell}: ${r.rows} rows, ${r.streams} streams, ${r.steps} steps, replay ${r.seconds.toFixed(1)} s (stepping ${r.stepSeconds.toFixed(1)} s, ${r.stepCpuSeconds.toFixed(1)} s CPU)`,
      );
      out[`${v}:${cell}`] = r;
    }
  }
  return out;
}

function pick(m: MethodAccuracy, keys: readonly (keyof MethodAccuracy)[]): Partial<MethodAccuracy> {
  return Object.fromEntries(keys.map((k) => [k, m[k]]));
}

const ETT_KEYS = ['mse', 'mae', 'coverage95', 'width95'] as const;
const DOMAIN_KEYS = ['mse', 'mae', 'mseRatio', 'maeRatio', 'coverage95', 'width95'] as const;

async function measureDataset(name: (typeof DATASETS)[number], o: Options): Promise<Table> {
  const file = resolve(o.root, 'pipelines', `${name.toLowerCase()}.yaml`);
  const raw = await rawPipeline(file);
  const source = (raw.sources as Record<string, unknown>[]).find((s) => s.kind === 'file') as {
    path: string;
    key_prefix?: string;
    time_column?: string;
  };
  const data = join(o.dataDir, `${name}.csv`);
  const lines = (await readFile(data, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const split = protocolSplit(name, lines.length - 1);
  // The protocol ends at testEnd (ETT: row 14400): unless --full the replay reads up to there.
  const input = o.full ? data : join(o.work, `${name}-input.csv`);
  if (!o.full) await writeFile(input, `${lines.slice(0, split.testEnd + 1).join('\n')}\n`);
  // Errors on the z scale of each column, fitted on the training rows only (as the protocol).
  const columns = lines[0].split(',').slice(1);
  const train = new Float64Array(split.train * columns.length);
  for (let r = 0; r < split.train; r++)
    lines[r + 1]
      .split(',')
      .slice(1)
      .forEach((x, j) => {
        train[r * columns.length + j] = Number.parseFloat(x);
      });
  const z = fitZScore(train, columns.length, split.train);
  const scale = Object.fromEntries(columns.map((c, j) => [`${source.key_prefix ?? ''}${c}`, z.std[j]]));
  const job = {
    file,
    edit: { source: { ...source, path: input } },
    input,
    horizons: ETT_HORIZONS,
    season: split.season,
    window: { testStart: split.testStart, testEnd: split.testEnd },
    scale,
  };
  const runs = await runVariants(name, job, o.withHead, o.say);
  const cellRuns = await runCells(name, job, o.cells, o.say);
  const out: Table = {};
  const head = Object.values(runs).find((r) => r?.head !== undefined)?.head;
  const base = (runs.served as Ran).served;
  for (const H of ETT_HORIZONS) {
    const k = String(H);
    const row: Partial<Record<Row, Cell>> = {};
    for (const v of VARIANTS) row[v] = runs[v] === null ? null : pick(runs[v].served[k].model, ETT_KEYS);
    for (const [key, r] of Object.entries(cellRuns)) row[key as Row] = pick(r.served[k].model, ETT_KEYS);
    if (head !== undefined) row.onlineHead = pick(head[k].model, ['mse', 'mae']);
    row.naive = pick(base[k].naive, ['mse', 'mae']);
    const seasonal = base[k].seasonalNaive;
    if (seasonal !== undefined) row.seasonalNaive = pick(seasonal, ['mse', 'mae']);
    out[k] = row;
  }
  if (o.check && head !== undefined) {
    const ref = evaluateInProcess(loadDataset(o.dataDir, name), ETT_HORIZONS);
    let worst = 0;
    for (const H of ETT_HORIZONS) {
      const k = String(H);
      const pairs: [MethodAccuracy | undefined, { mse: number; mae: number }][] = [
        [head[k].model, ref[k].tidecast],
        [head[k].naive, ref[k].naive],
        [head[k].seasonalNaive, ref[k].seasonalNaive],
      ];
      for (const [a, b] of pairs) worst = Math.max(worst, Math.abs((a?.mse ?? NaN) - b.mse), Math.abs((a?.mae ?? NaN) - b.mae));
    }
    o.say(
      `${name}: largest |onlineHead (replay, ForecastAccuracy) - in-process reference| over MSE/MAE of head, naive, seasonal naive: ${worst.toExponential(2)}`,
    );
  }
  return out;
}

/** The domain pipelines of pipelines/demo.yaml over the shared data sets. */
function domainSource(domain: (typeof DOMAINS)[number], dataDir: string, wthColumns: readonly string[]): Record<string, unknown> {
  const prefix = `${domain}/`;
  if (domain === 'weather')
    return {
      kind: 'file',
      name: 'wth',
      path: join(dataDir, 'WTH.csv'),
      time_column: 'date',
      value_columns: [...wthColumns],
      key_prefix: prefix,
    };
  if (domain === 'stocks')
    return { kind: 'file', name: 'sp500', path: join(dataDir, 'stocks/sp500_daily.csv'), key_column: 'stream', key_prefix: prefix };
  return { kind: 'file', name: 'fitbit', path: join(dataDir, 'health/fitbit_heartrate.csv'), key_column: 'stream', key_prefix: prefix };
}

interface DomainResult {
  readonly table: Table;
  readonly throughput?: {
    readonly steps: number;
    readonly stepsPerSec: number;
    readonly stepsPerCpuSec: number;
    readonly stepsPerSecWithFit: number;
  };
}

async function measureDomain(domain: (typeof DOMAINS)[number], o: Options): Promise<DomainResult> {
  const file = resolve(o.root, 'pipelines/demo.yaml');
  const raw = await rawPipeline(file, domain);
  const horizon = (raw.model as { horizon: number }).horizon;
  const fitSteps = (raw.training as { offline?: { steps?: number } } | undefined)?.offline?.steps ?? 512;
  const wth = (await readFile(join(o.dataDir, 'WTH.csv'), 'utf8')).slice(0, 1000).split('\n')[0].split(',').slice(1);
  const source = domainSource(domain, o.dataDir, wth);
  const horizons = [1, horizon];
  // Daily season where the step has one (hourly weather); the offline fit's first steps of every stream are not scored.
  const season = domain === 'weather' ? 24 : undefined;
  const input = source.path as string;
  const job = { file, edit: { pipeline: domain, source }, input, horizons, season, window: { fromOrigin: fitSteps } };
  const runs = await runVariants(domain, job, false, o.say);
  const cellRuns = await runCells(domain, job, o.cells, o.say);
  const table: Table = {};
  const s = runs.served as Ran;
  for (const H of horizons) {
    const k = String(H);
    const row: Partial<Record<Row, Cell>> = {};
    for (const v of VARIANTS) row[v] = runs[v] === null ? null : pick(runs[v].served[k].model, DOMAIN_KEYS);
    for (const [key, r] of Object.entries(cellRuns)) row[key as Row] = pick(r.served[k].model, DOMAIN_KEYS);
    row.naive = pick(s.served[k].naive, ['mse', 'mae', 'mseRatio', 'maeRatio']);
    const seasonal = s.served[k].seasonalNaive;
    if (seasonal !== undefined) row.seasonalNaive = pick(seasonal, ['mse', 'mae', 'mseRatio', 'maeRatio']);
    table[k] = row;
  }
  return {
    table,
    throughput:
      domain === 'stocks'
        ? {
            steps: s.steps,
            stepsPerSec: s.steps / s.stepSeconds,
            stepsPerCpuSec: s.steps / s.stepCpuSeconds,
            stepsPerSecWithFit: s.steps / s.seconds,
          }
        : undefined,
  };
}

function printTable(result: Record<string, Table>, note: string): void {
  const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '' : x.toFixed(d));
  console.log(`\n${note}`);
  console.log(
    '| set | H | variant | MSE | MAE | MSE / pers. | MAE / pers. | coverage95 | width95 |\n|---|---|---|---|---|---|---|---|---|',
  );
  for (const [set, table] of Object.entries(result)) {
    for (const [H, rows] of Object.entries(table)) {
      for (const [variant, c] of Object.entries(rows)) {
        const cells =
          c === null || c === undefined
            ? ['n/a', '', '', '', '', '']
            : [f(c.mse, 4), f(c.mae, 4), f(c.mseRatio), f(c.maeRatio), f(c.coverage95), f(c.width95, 4)];
        console.log(`| ${set} | ${H} | ${variant} | ${cells.join(' | ')} |`);
      }
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const quick = args.includes('--quick');
  const at = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const root = new URL('..', import.meta.url).pathname;
  const only = at('--only')?.split(',');
  const unknown = only?.filter((n) => !([...DATASETS, ...DOMAINS] as readonly string[]).includes(n)) ?? [];
  if (unknown.length > 0) {
    console.error(`--only: unknown ${unknown.join(', ')} (known: ${[...DATASETS, ...DOMAINS].join(', ')})`);
    process.exitCode = 2;
    return;
  }
  const wanted = (name: string) => (only === undefined ? !quick || ['ETTh2', 'health', 'stocks'].includes(name) : only.includes(name));
  if (args.includes('--seq2seq')) {
    // The encoder-decoder beside the direct head (accuracy-seq2seq.ts): in process, ETT / WTH only.
    const started = performance.now();
    const sets = DATASETS.filter((d) => wanted(d));
    const o = { ...DEFAULT_SEQ2SEQ_BENCH, stride: Number(at('--stride') ?? DEFAULT_SEQ2SEQ_BENCH.stride) };
    const result = compareSeq2Seq(at('--data') ?? resolve(root, '../shared/data'), sets, o, (line) => console.error(line));
    const seconds = (performance.now() - started) / 1000;
    if (json) console.log(JSON.stringify({ seq2seq: result, options: o, seconds }));
    else {
      printSeq2SeqTable(result, o);
      console.log(`total ${seconds.toFixed(1)} s`);
    }
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'tidecast-accuracy-'));
  const o: Options = {
    root,
    dataDir: at('--data') ?? resolve(root, '../shared/data'),
    work,
    full: args.includes('--full'),
    check: args.includes('--check'),
    withHead: !quick,
    cells: at('--cells')?.split(',') ?? [],
    say: (line) => console.error(line),
  };
  const started = performance.now();
  const datasets: Record<string, Table> = {};
  const domains: Record<string, Table> = {};
  let throughput: DomainResult['throughput'];
  try {
    for (const name of DATASETS) if (wanted(name)) datasets[name] = await measureDataset(name, o);
    for (const name of DOMAINS) {
      if (!wanted(name)) continue;
      const r = await measureDomain(name, o);
      domains[name] = r.table;
      throughput ??= r.throughput;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  if (json) {
    console.log(JSON.stringify({ ...datasets, domains, ...(throughput === undefined ? {} : { stocksReplay: throughput }), seconds }));
    return;
  }
  if (Object.keys(datasets).length > 0) {
    printTable(
      datasets,
      'Online-forecasting protocol: z scale (fitted on the training rows), test windows only, H = 1 and 24 (errors over h = 1..H)',
    );
    const names = Object.keys(datasets);
    console.log(
      `published H = 1 MSE (${names.join(' / ')}): ${Object.entries(PUBLISHED)
        .map(([m, r]) => `${m} ${names.map((d) => r[d].toFixed(3)).join(' / ')}`)
        .join('; ')}`,
    );
  }
  if (Object.keys(domains).length > 0) {
    printTable(
      domains,
      'Domains (pipelines/demo.yaml): data units, ratios to persistence per stream averaged over streams, errors over h = 1..H',
    );
  }
  for (const [v, reason] of skipped) console.log(`n/a ${v}: the pipeline schema rejects model.forecaster: ${v} (${reason})`);
  if (throughput !== undefined) {
    console.log(
      `\nstocks replay (505 tickers, served): ${throughput.steps} steps, ${Math.round(throughput.stepsPerSec)} steps/s stepping (wall), ${Math.round(throughput.stepsPerCpuSec)} per CPU second, ${Math.round(throughput.stepsPerSecWithFit)} steps/s wall with the offline fit`,
    );
  }
  console.log(`total ${seconds.toFixed(1)} s`);
}

await main();
