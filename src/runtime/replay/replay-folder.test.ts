import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAlertsPath, rulesMatchingNothing } from './replay-alerts.js';
import { folderOutputPath, listReplayInputs, totalOf } from './replay-folder.js';
import type { ReplaySummary } from './replay.js';
import { wideHeader } from './replay-wide.js';

describe('folder replay parts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-folder-'));
    await mkdir(join(dir, 'in', 'sub'), { recursive: true });
    await mkdir(join(dir, 'in', 'out'), { recursive: true });
    for (const f of ['b.csv', 'a.jsonl', 'sub/c.json', 'notes.txt', 'out/old.csv', 'x.alerts.jsonl'])
      await writeFile(join(dir, 'in', f), '');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the data files under a folder, not the output folder nor alerts files', async () => {
    expect(await listReplayInputs(join(dir, 'in'), join(dir, 'in', 'out'))).toEqual(['a.jsonl', 'b.csv', join('sub', 'c.json')]);
    expect(folderOutputPath('o', 'a.jsonl')).toBe(join('o', 'a.csv'));
    expect(folderOutputPath('o', join('sub', 'b.csv'))).toBe(join('o', 'sub', 'b.csv'));
    expect(defaultAlertsPath('out/x.csv')).toBe('out/x.alerts.jsonl');
    expect(defaultAlertsPath('out/x')).toBe('out/x.alerts.jsonl');
  });

  it('adds up the per-file summaries', () => {
    const s = (rows: number, fit: number, parse: number): ReplaySummary => ({
      rows,
      steps: rows,
      written: rows - 1,
      deadLetters: { parse_error: parse },
      streams: 1,
      stepMs: 1,
      scored: rows - 1 - fit,
      unscored: { fit, imputed: 0, warmup: 0, start: 1, restart: 0 },
      alerts: { events: 2, pending: 0, firing: 1, resolved: 1, byRule: { r: 2 } },
    });
    expect(totalOf([s(10, 3, 1), s(20, 4, 2)])).toEqual({
      files: 2,
      rows: 30,
      steps: 30,
      written: 28,
      deadLetters: { parse_error: 3 },
      streams: 2,
      scored: 21,
      unscored: { fit: 7, imputed: 0, warmup: 0, start: 2, restart: 0 },
      alerts: { events: 4, pending: 0, firing: 2, resolved: 2, byRule: { r: 4 } },
    });
  });

  it('finds the rules whose streams glob matches no stream', () => {
    const rules = [
      { name: 'all', streams: '**' },
      { name: 'temp', streams: 'weather/temp*' },
      { name: 'typo', streams: 'wether/**' },
    ];
    expect(rulesMatchingNothing(rules, ['weather/temp_c', 'weather/humidity'])).toEqual(['typo (streams: wether/**)']);
    expect(rulesMatchingNothing(rules, [])).toHaveLength(3);
  });

  it('names the wide columns per horizon', () => {
    expect(wideHeader(2)).toBe('timestamp,stream,actual,anomaly_score,imputed,forecast_1,forecast_2,lower_1,lower_2,upper_1,upper_2');
  });
});
