// Loads the ETT / WTH CSV files from ../shared/data (never copied into the repo: CC BY-ND) and
// describes each data set's split under the online-forecasting protocol (FSNet, OneNet, LSTD).
import { readFileSync } from 'node:fs';
import type { ProtocolSplit } from '../src/forecasting/online-head-score.js';

export interface AccuracyDataset extends ProtocolSplit {
  readonly name: 'ETTh2' | 'ETTm1' | 'WTH';
  readonly columns: number;
  readonly rows: number;
  /** Row-major values, rows × columns. */
  readonly values: Float64Array;
  readonly timesMs: Float64Array;
  /** Training rows [0, train) fit the z-score; the online phase is [testStart, testEnd). */
  readonly train: number;
  readonly testStart: number;
  readonly testEnd: number;
  /** Steps per day (seasonal naive = one day ago). */
  readonly season: number;
}

/** "2016-07-01 00:00:00" or "1/1/2010 0:00", read as UTC. */
export function parseTime(text: string): number {
  const iso = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d?):(\d\d)(?::(\d\d))?/.exec(text);
  if (iso) return Date.UTC(+iso[1], +iso[2] - 1, +iso[3], +iso[4], +iso[5], +(iso[6] ?? 0));
  const us = /^(\d\d?)\/(\d\d?)\/(\d{4}) (\d\d?):(\d\d)/.exec(text);
  if (us) return Date.UTC(+us[3], +us[1] - 1, +us[2], +us[4], +us[5]);
  throw new Error(`unparseable timestamp ${JSON.stringify(text)}`);
}

export function loadDataset(dir: string, name: AccuracyDataset['name']): AccuracyDataset {
  const lines = readFileSync(`${dir}/${name}.csv`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const columns = lines[0].split(',').length - 1;
  const rows = lines.length - 1;
  const values = new Float64Array(rows * columns);
  const timesMs = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(',');
    if (cells.length !== columns + 1) throw new Error(`${name}.csv line ${r + 2}: ${cells.length} cells, expected ${columns + 1}`);
    timesMs[r] = parseTime(cells[0]);
    for (let j = 0; j < columns; j++) values[r * columns + j] = Number.parseFloat(cells[j + 1]);
  }
  return { name, columns, rows, values, timesMs, ...protocolSplit(name, rows) };
}

/** The protocol's split of a data set of `rows` rows (FSNet, OneNet, LSTD). */
export function protocolSplit(name: AccuracyDataset['name'], rows: number): ProtocolSplit {
  const season = name === 'ETTm1' ? 96 : 24;
  if (name === 'WTH') {
    const train = Math.floor(rows * 0.2);
    return { train, testStart: train + Math.floor(rows * 0.05), testEnd: rows, season };
  }
  return { train: 2880, testStart: 3600, testEnd: 14400, season };
}
