// The SKAB corpus (Skoltech Anomaly Benchmark v0.9, ../shared/data/anomaly/skab): the 34 labelled
// `;`-separated files, each split as the leaderboard splits it (first 400 rows train, the rest
// scored). Read as score.py reads them: files in sorted relative-path order.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const TRAIN_ROWS = 400;

export interface SkabFile {
  /** Relative path with `/`, e.g. `valve1/0.csv`. */
  readonly path: string;
  /** The datetime cells as written in the file. */
  readonly datetimes: readonly string[];
  /** Epoch ms of every row (the file's wall-clock time read as UTC). */
  readonly t: Float64Array;
  /** Sensor column names (every column but datetime and the labels). */
  readonly sensors: readonly string[];
  /** Row-major rows × sensors. */
  readonly x: Float64Array;
  /** Per row: 1 anomalous, 0 not. */
  readonly anomaly: Uint8Array;
  readonly changepoint: Uint8Array;
  readonly rows: number;
}

/** `YYYY-MM-DD hh:mm:ss` (or ISO) wall-clock time as UTC epoch ms. */
export function skabTime(s: string): number {
  const v = s.trim().replace(' ', 'T');
  return Date.parse(v.endsWith('Z') ? v : `${v}Z`);
}

function csvFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    const names = readdirSync(d).sort();
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.csv')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Every labelled file under dir, sorted by relative path (score.py's order). */
export function loadSkab(dir: string): SkabFile[] {
  const files: SkabFile[] = [];
  for (const p of csvFiles(dir)) {
    const lines = readFileSync(p, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.length > 0);
    const header = lines[0].split(';').map((h) => h.trim());
    const ia = header.indexOf('anomaly');
    const ic = header.indexOf('changepoint');
    const it = header.indexOf('datetime');
    if (ia < 0 || ic < 0 || it < 0) continue; // anomaly-free.csv: no labels
    const cols = header.map((_, i) => i).filter((i) => i !== ia && i !== ic && i !== it);
    const rows = lines.length - 1;
    const x = new Float64Array(rows * cols.length);
    const t = new Float64Array(rows);
    const anomaly = new Uint8Array(rows);
    const changepoint = new Uint8Array(rows);
    const datetimes: string[] = [];
    for (let r = 0; r < rows; r++) {
      const c = lines[r + 1].split(';');
      datetimes.push(c[it]);
      t[r] = skabTime(c[it]);
      cols.forEach((j, k) => {
        x[r * cols.length + k] = Number(c[j]);
      });
      anomaly[r] = Number(c[ia]) === 1 ? 1 : 0;
      changepoint[r] = Number(c[ic]) === 1 ? 1 : 0;
    }
    files.push({
      path: relative(dir, p).split(sep).join('/'),
      datetimes,
      t,
      sensors: cols.map((i) => header[i]),
      x,
      anomaly,
      changepoint,
      rows,
    });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
