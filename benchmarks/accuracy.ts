// Forecast accuracy under the online-forecasting protocol (issue 9), measured through the daemon's
// replay path: `tidecast replay`'s replayFile runs the engine (stream pipeline, per-stream recurrent
// model, alerting and the multivariate online head of model.online_head) over each data set with
// pipelines/etth2.yaml, ettm1.yaml and wth.yaml; the head's rows of the replay output are then scored
// (src/runtime/online-head-score.ts), with the naive and seasonal-naive baselines from the same rows.
// `npm run bench:accuracy [-- --json] [-- --data DIR] [-- --check] [-- --only NAME] [-- --full]`:
// --check also runs the mechanism in-process (accuracy-in-process.ts) and prints the largest
// difference; --full replays the whole file rather than stopping at the end of the online phase.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadPipelineFile } from '../src/config/load-pipeline.js';
import { readHeadReplay, scoreHeadReplay, type HorizonScores } from '../src/runtime/online-head-score.js';
import { replayFile } from '../src/runtime/replay.js';
import { createLogger } from '../src/telemetry/logger.js';
import { loadDataset, protocolSplit } from './accuracy-data.js';
import { evaluateInProcess } from './accuracy-in-process.js';

const HORIZONS = [1, 24] as const;
const DATASETS = ['ETTh2', 'ETTm1', 'WTH'] as const;
const PUBLISHED: Record<string, Record<string, number>> = {
  'naive (paper)': { ETTh2: 0.404, ETTm1: 0.091, WTH: 0.207 },
  'FSNet': { ETTh2: 0.466, ETTm1: 0.085, WTH: 0.162 },
  'OneNet': { ETTh2: 0.38, ETTm1: 0.082, WTH: 0.156 },
  'LSTD': { ETTh2: 0.377, ETTm1: 0.081, WTH: 0.153 },
};

interface Measured {
  readonly scores: Record<string, HorizonScores>;
  readonly replaySeconds: number;
  readonly scoreSeconds: number;
  readonly rows: number;
  readonly columns: number;
}

async function measure(name: (typeof DATASETS)[number], root: string, dataDir: string | undefined, work: string, full: boolean): Promise<Measured> {
  const file = resolve(root, 'pipelines', `${name.toLowerCase()}.yaml`);
  const loaded = await loadPipelineFile(file);
  if (!loaded.ok) throw new Error(`${file}: ${loaded.issues.map((i) => i.message).join('; ')}`);
  const spec = loaded.value.pipelines[0];
  const source = spec.sources.find((s) => s.kind === 'file');
  if (source === undefined || !('path' in source)) throw new Error(`${file}: no file source`);
  const data = dataDir === undefined ? resolve(root, source.path) : join(dataDir, `${name}.csv`);
  // The protocol ends at testEnd (ETT: row 14400 of 17420 / 69680): unless --full, the replay reads
  // the file up to there, rows after it being scored by nobody.
  const lines = (await readFile(data, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const split = protocolSplit(name, lines.length - 1);
  const input = full ? data : join(work, `${name}-input.csv`);
  if (!full) await writeFile(input, `${lines.slice(0, split.testEnd + 1).join('\n')}\n`);
  const output = join(work, `${name}.csv`);
  const started = performance.now();
  const summary = await replayFile(spec, { input, output, log: createLogger({ level: 'warn', destination: process.stderr as never }) });
  const replaySeconds = (performance.now() - started) / 1000;
  const replay = await readHeadReplay(output);
  await rm(output);
  // One head row per CSV row (the files have no gaps), so the protocol's row split applies as is.
  if (replay.rows !== summary.rows) throw new Error(`${name}: ${replay.rows} head rows for ${summary.rows} CSV rows`);
  const scores = scoreHeadReplay(replay, split, HORIZONS);
  return { scores, replaySeconds, scoreSeconds: (performance.now() - started) / 1000 - replaySeconds, rows: replay.rows, columns: replay.keys.length };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const check = args.includes('--check');
  const dataAt = args.indexOf('--data');
  const onlyAt = args.indexOf('--only');
  const root = new URL('..', import.meta.url).pathname;
  const work = await mkdtemp(join(tmpdir(), 'tidecast-accuracy-'));
  const result: Record<string, Record<string, HorizonScores>> = {};
  const started = performance.now();
  try {
    for (const name of DATASETS) {
      if (onlyAt >= 0 && args[onlyAt + 1] !== name) continue;
      const m = await measure(name, root, dataAt >= 0 ? args[dataAt + 1] : undefined, work, args.includes('--full'));
      result[name] = m.scores;
      if (!json) console.error(`${name}: ${m.rows} rows × ${m.columns} streams, tidecast replay ${m.replaySeconds.toFixed(1)} s, scoring ${m.scoreSeconds.toFixed(1)} s`);
      if (check) {
        const dir = dataAt >= 0 ? args[dataAt + 1] : resolve(root, '../shared/data');
        const ref = evaluateInProcess(loadDataset(dir, name), HORIZONS);
        let worst = 0;
        for (const H of HORIZONS) {
          for (const k of ['tidecast', 'naive', 'seasonalNaive'] as const) {
            worst = Math.max(worst, Math.abs(ref[H][k].mse - m.scores[H][k].mse), Math.abs(ref[H][k].mae - m.scores[H][k].mae));
          }
        }
        console.error(`${name}: largest |replay - in-process| over MSE/MAE of every method and H: ${worst.toExponential(2)}`);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  const names = Object.keys(result);
  const f = (x: number) => x.toFixed(3);
  console.log('\nMSE / MAE on the z-scored scale (z-score fitted on training rows only), from `tidecast replay` output');
  console.log(`| H | method | ${names.join(' | ')} |\n|---|---|${names.map(() => '---|').join('')}`);
  for (const H of HORIZONS) {
    for (const m of ['tidecast', 'naive', 'seasonalNaive'] as const) {
      const cells = names.map((d) => `${f(result[d][String(H)][m].mse)} / ${f(result[d][String(H)][m].mae)}`);
      console.log(`| ${H}${H > 1 ? ' (leak-free)' : ''} | ${m} | ${cells.join(' | ')} |`);
    }
    if (H === 1) {
      for (const [name, row] of Object.entries(PUBLISHED)) console.log(`| 1 | ${name} (published MSE) | ${names.map((d) => f(row[d])).join(' | ')} |`);
    }
  }
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
