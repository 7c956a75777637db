import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { applyZScore, fitZScore } from './z-score.js';

// Scores the online head from a `tidecast replay` output file alone (its `online_head` rows), under
// the online-forecasting protocol: per-stream z-score fitted on the first `train` rows, then for
// every origin t of the online phase the forecasts of rows t .. t + H - 1 made after row t - 1,
// against the truth; naive (row t - 1) and seasonal naive (one season before the target) from the
// same rows. Errors on the z-scored scale, averaged over origins, horizons 1..H and streams.

export interface HeadReplay {
  readonly keys: readonly string[];
  readonly horizon: number;
  readonly rows: number;
  readonly times: Float64Array;
  /** rows × C, data units (NaN where empty). */
  readonly actual: Float64Array;
  /** forecasts[(r * H + h - 1) * C + j]: made after row r for stream j at row r + h. */
  readonly forecasts: Float64Array;
}

/** Reads the online_head rows of a replay output (REPLAY_HEAD_HEADER). */
export async function readHeadReplay(path: string): Promise<HeadReplay> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let header: string[] | undefined;
  /** Column of `forecaster` (the last two columns are forecaster, forecasts; see REPLAY_HEAD_HEADER). */
  let forecasterAt = 0;
  const keys: string[] = [];
  const keyIndex = new Map<string, number>();
  const times: number[] = [];
  const actual: number[] = [];
  const forecasts: number[] = [];
  let horizon = 0;
  let expect = 0;
  let firstRow = true;
  for await (const line of lines) {
    if (header === undefined) {
      header = line.split(',');
      if (header.at(-2) !== 'forecaster' || header.at(-1) !== 'forecasts')
        throw new Error(`${path}: not a replay with model.online_head (header ${line})`);
      forecasterAt = header.length - 2;
      continue;
    }
    if (!line.includes(',online_head,')) continue;
    const cells = line.split(',');
    if (cells[forecasterAt] !== 'online_head') continue;
    const key = cells[1];
    // The keys of the first row fix the order; every row lists every stream in that order.
    if (firstRow && !keyIndex.has(key)) {
      keyIndex.set(key, keys.length);
      keys.push(key);
    } else {
      firstRow = false;
      if (keyIndex.get(key) !== expect % keys.length) throw new Error(`${path}: online_head rows out of order at ${line.slice(0, 60)}`);
    }
    if (keyIndex.get(key) === 0) times.push(Date.parse(cells[0]));
    const f = cells[forecasterAt + 1].split(';');
    if (horizon === 0) horizon = f.length;
    if (f.length !== horizon) throw new Error(`${path}: ${f.length} forecasts, expected ${horizon}`);
    actual.push(cell(cells[2]));
    for (const x of f) forecasts.push(cell(x));
    expect++;
  }
  const c = keys.length;
  if (c === 0) throw new Error(`${path}: no online_head rows`);
  const rows = expect / c;
  if (!Number.isInteger(rows)) throw new Error(`${path}: an incomplete online_head row at the end`);
  // Lines hold one stream's H forecasts; reorder to (row, horizon, stream).
  const byRow = new Float64Array(rows * horizon * c);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < c; j++) for (let h = 0; h < horizon; h++) byRow[(r * horizon + h) * c + j] = forecasts[(r * c + j) * horizon + h];
  }
  return { keys, horizon, rows, times: Float64Array.from(times), actual: Float64Array.from(actual), forecasts: byRow };
}

function cell(s: string): number {
  return s === '' ? NaN : Number(s);
}

export interface ProtocolSplit {
  /** Rows [0, train) fit the z-score. */
  readonly train: number;
  /** The online phase: origins [testStart, testEnd). */
  readonly testStart: number;
  readonly testEnd: number;
  /** Steps of the seasonal naive (one day). */
  readonly season: number;
}

export interface MethodScore {
  readonly mse: number;
  readonly mae: number;
}

export interface HorizonScores {
  readonly tidecast: MethodScore;
  readonly naive: MethodScore;
  readonly seasonalNaive: MethodScore;
}

/** Scores for each H in `horizons` (H <= the replay's horizon): errors over horizons 1..H. */
export function scoreHeadReplay(r: HeadReplay, split: ProtocolSplit, horizons: readonly number[]): Record<string, HorizonScores> {
  const c = r.keys.length;
  const Hf = r.horizon;
  if (split.testEnd > r.rows) throw new RangeError(`online phase ends at row ${split.testEnd}, the replay has ${r.rows} rows`);
  const scale = fitZScore(r.actual, c, split.train);
  const z = r.actual.slice();
  applyZScore(z, c, scale);
  const out: Record<string, HorizonScores> = {};
  for (const H of horizons) {
    if (H > Hf) throw new RangeError(`horizon ${H} > the replay's ${Hf}`);
    const se = [0, 0, 0];
    const ae = [0, 0, 0];
    let n = 0;
    for (let t = split.testStart; t < split.testEnd && t + H <= split.testEnd; t++) {
      const made = t - 1;
      for (let h = 1; h <= H; h++) {
        const truth = (t + h - 1) * c;
        const last = (t - 1) * c;
        const seasonal = (t + h - 1 - split.season) * c;
        for (let j = 0; j < c; j++) {
          const y = z[truth + j];
          const f = (r.forecasts[(made * Hf + h - 1) * c + j] - scale.mean[j]) / scale.std[j];
          const e0 = f - y;
          const e1 = z[last + j] - y;
          const e2 = z[seasonal + j] - y;
          se[0] += e0 * e0;
          ae[0] += Math.abs(e0);
          se[1] += e1 * e1;
          ae[1] += Math.abs(e1);
          se[2] += e2 * e2;
          ae[2] += Math.abs(e2);
        }
        n += c;
      }
    }
    const m = (i: number): MethodScore => ({ mse: se[i] / n, mae: ae[i] / n });
    out[String(H)] = { tidecast: m(0), naive: m(1), seasonalNaive: m(2) };
  }
  return out;
}
