import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ewmaZScores, madScores, t2Scores } from '../../benchmarks/skab-baselines.js';
import { loadSkab, TRAIN_ROWS, type SkabFile } from '../../benchmarks/skab-data.js';
import { scoreSkab, writePredictions, type SkabPrediction, type SkabScore } from '../../benchmarks/skab-score.js';
import { pythonWith } from '../helpers/python-env.js';

// The SKAB bench's TypeScript scorer (benchmarks/skab-score.ts) against the reference scorer
// ../shared/eval/skab/score.py on the same prediction files: confusion counts and changepoint counts
// equal, F1/FAR/MAR/NAB/mean delay equal to 1e-9 before rounding. Three prediction sets cover the
// derived changepoints (edges of outlier runs), an explicit changepoint column and empty cells.

const run = promisify(execFile);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = resolve(REPO, '../shared/data/anomaly/skab');
const SCORER = resolve(REPO, '../shared/eval/skab/score.py');
const present = existsSync(DATA) && existsSync(SCORER);

interface Reference {
  outlier: { tp: number; fp: number; fn: number; tn: number; unrounded: { f1: number; far_pct: number; mar_pct: number } };
  changepoint: {
    changepoints: number;
    missed_cps: number;
    false_positives: number;
    mean_delay_s: number;
    unrounded: { standard: number; low_fp: number; low_fn: number };
  };
}

function sets(files: readonly SkabFile[]): Record<string, Map<string, SkabPrediction>> {
  const ewma = new Map<string, SkabPrediction>();
  const t2 = new Map<string, SkabPrediction>();
  const sparse = new Map<string, SkabPrediction>();
  for (const f of files) {
    ewma.set(f.path, { anomaly: Float64Array.from(ewmaZScores(f), (z) => (z > 3 ? 1 : 0)) });
    const { scores, threshold } = t2Scores(f);
    t2.set(f.path, { anomaly: Float64Array.from(scores, (s) => (s > threshold ? 1 : 0)) });
    // Empty predictions on the first 5 rows and every 7th; changepoints given: every 45th row.
    const mad = madScores(f);
    sparse.set(f.path, {
      anomaly: Float64Array.from(mad, (z, i) => (i < 5 || i % 7 === 3 ? NaN : z > 8 ? 1 : 0)),
      changepoint: Float64Array.from(mad, (_, i) => (i % 45 === 11 ? 1 : i % 13 === 0 ? NaN : 0)),
    });
  }
  return { ewma, t2, sparse };
}

describe.skipIf(!present)('SKAB scorer port vs ../shared/eval/skab/score.py', () => {
  let python: string | null = null;
  let dir = '';
  let files: SkabFile[] = [];
  beforeAll(async () => {
    python = await pythonWith(REPO, ['numpy', 'pandas']);
    if (python === null) console.warn('python3 not found: the SKAB scorer cross-check is skipped');
    dir = mkdtempSync(join(tmpdir(), 'tidecast-skab-'));
    files = loadSkab(DATA);
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the 34 labelled files and the 127 scored changepoints', () => {
    expect(files.length).toBe(34);
    expect(files.reduce((n, f) => n + f.rows - TRAIN_ROWS, 0)).toBe(23_801);
  });

  for (const name of ['ewma', 't2', 'sparse'])
    it(`agrees on the ${name} prediction set to 1e-9`, async (ctx) => {
      if (python === null) return ctx.skip();
      const preds = sets(files)[name];
      const out = join(dir, name);
      writePredictions(out, files, preds);
      const ts: SkabScore = scoreSkab(files, preds);
      const { stdout } = await run(python, [SCORER, out, '--data', DATA, '--json'], { cwd: REPO, timeout: 60_000, maxBuffer: 16 << 20 });
      const py = JSON.parse(stdout) as Reference;
      const o = py.outlier;
      expect({ tp: ts.outlier.tp, fp: ts.outlier.fp, fn: ts.outlier.fn, tn: ts.outlier.tn }).toEqual({
        tp: o.tp,
        fp: o.fp,
        fn: o.fn,
        tn: o.tn,
      });
      expect(o.tp + o.fp).toBeGreaterThan(0);
      const c = py.changepoint;
      expect(c.changepoints).toBe(127);
      expect({ n: ts.changepoint.changepoints, missed: ts.changepoint.missed_cps, fp: ts.changepoint.false_positives }).toEqual({
        n: c.changepoints,
        missed: c.missed_cps,
        fp: c.false_positives,
      });
      const pairs: Array<[string, number, number]> = [
        ['f1', ts.outlier.f1, o.unrounded.f1],
        ['far', ts.outlier.far_pct, o.unrounded.far_pct],
        ['mar', ts.outlier.mar_pct, o.unrounded.mar_pct],
        ['nab standard', ts.changepoint.nab_standard, c.unrounded.standard],
        ['nab low_fp', ts.changepoint.nab_low_fp, c.unrounded.low_fp],
        ['nab low_fn', ts.changepoint.nab_low_fn, c.unrounded.low_fn],
        ['mean delay', ts.changepoint.mean_delay_s ?? NaN, c.mean_delay_s],
      ];
      for (const [what, a, b] of pairs) expect(Math.abs(a - b), `${name} ${what}: ts ${a} py ${b}`).toBeLessThan(1e-9);
      if (name === 't2') {
        // The leaderboard's Hotelling T² row, reproduced (reproduce_t2.py).
        expect(Math.round(ts.outlier.f1 * 100) / 100).toBe(0.66);
        expect(Math.round(ts.outlier.far_pct * 100) / 100).toBe(19.21);
        expect(Math.round(ts.changepoint.nab_standard * 100) / 100).toBe(19.54);
      }
    }, 120_000);
});
