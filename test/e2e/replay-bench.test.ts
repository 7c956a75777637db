import { execFile } from 'node:child_process';
import { kill } from 'node:process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonLines, REPO, startDaemon, waitFor, BIN } from './daemon-harness.js';

// `tidecast replay` as the alerting test bench: the rules' alerts go to an alerts file equal to what
// the daemon writes on the same records; the rows the offline fit trained on are never scored; every
// horizon can be written; a folder replays file by file; step_ms: auto finds the data's step; a
// replay that writes nothing says why.

const run = promisify(execFile);
const STEP = 3_600_000;
const FIT_STEPS = 120;

/** A pipeline on data/weather.csv (hourly, 4 streams) with the given alerting section and step. */
function pipelineYaml(dir: string, o: { rules: string; step?: string; sinks?: string }): string {
  return [
    'name: bench',
    `step_ms: ${o.step ?? STEP}`,
    'fields: [{ name: value, aggregation: mean }]',
    'sources:',
    `  - { kind: file, path: ${join(REPO, 'data/weather.csv')}, key_column: stream, key_prefix: weather/, replay: { speedup: 1000000000 } }`,
    `sinks: ${o.sinks ?? '[]'}`,
    'impute: { method: linear, max_gap_steps: 6 }',
    'normalise: { method: ewm_zscore, half_life_steps: 336 }',
    'model: { cell: gru, layers: 1, units: 8, horizon: 4, seed: 11 }',
    // A fixed number of epochs and no time limit: the fit is the same in every process.
    `training: { offline: { steps: ${FIT_STEPS}, epochs: 2, max_time_ms: 600000 } }`,
    `alerting: { rules: ${o.rules} }`,
    `state: { dir: ${join(dir, 'state')}, checkpoint_interval_ms: 600000 }`,
    '',
  ].join('\n');
}

const RULES = '[{ name: low, detector: score, warning: 0.99, for: 1 }, { name: jump, detector: surprise, warning: 2.5, critical: 4 }]';

interface Alert {
  stream: string;
  rule: string;
  detector: string;
  state: string;
  severity: string;
  time: number;
}

function csvRows(text: string): { header: string[]; rows: string[][] } {
  const [header, ...lines] = text.trimEnd().split('\n');
  return { header: header.split(','), rows: lines.map((l) => l.split(',')) };
}

async function replay(args: string[]): Promise<{ stderr: string; summary: Record<string, unknown> }> {
  const r = await run(process.execPath, [BIN, 'replay', ...args], { cwd: REPO });
  const lines = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stderr: r.stderr, summary: lines.findLast((l) => String(l.msg).startsWith('Replay')) ?? {} };
}

describe('tidecast replay as the alerting test bench', () => {
  let dir: string;
  let withRules: string;
  let noRules: string;
  let rulesRun: Awaited<ReturnType<typeof replay>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-bench-'));
    withRules = join(dir, 'rules.yaml');
    noRules = join(dir, 'none.yaml');
    await writeFile(withRules, pipelineYaml(dir, { rules: RULES }));
    await writeFile(noRules, pipelineYaml(dir, { rules: '[]' }));
    rulesRun = await replay([withRules, '-i', 'data/weather.csv', '-o', join(dir, 'rules.csv')]);
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the alerts of the rules; without rules none, and the same rows', async () => {
    const alerts = await readJsonLines<Alert>(join(dir, 'rules.alerts.jsonl'));
    expect(alerts.length).toBeGreaterThan(10);
    expect(new Set(alerts.map((a) => a.rule))).toEqual(new Set(['low', 'jump']));
    expect(new Set(alerts.map((a) => a.detector))).toEqual(new Set(['score', 'surprise']));
    for (const a of alerts) {
      expect(['pending', 'firing', 'resolved']).toContain(a.state);
      expect(a.stream.startsWith('weather/')).toBe(true);
    }
    expect(rulesRun.summary.alerts).toMatchObject({ events: alerts.length });

    await replay([noRules, '-i', 'data/weather.csv', '-o', join(dir, 'none.csv'), '--alerts', join(dir, 'none-alerts.jsonl')]);
    expect(await readFile(join(dir, 'none-alerts.jsonl'), 'utf8')).toBe('');
    // Rules only decide what is raised: the scored rows are the same.
    expect(await readFile(join(dir, 'none.csv'), 'utf8')).toBe(await readFile(join(dir, 'rules.csv'), 'utf8'));
  });

  it('never scores a row the offline fit trained on, and says why rows were left unscored', async () => {
    const { header, rows } = csvRows(await readFile(join(dir, 'rules.csv'), 'utf8'));
    const score = header.indexOf('anomaly_score');
    // Each stream's first grid step, from the input.
    const first = new Map<string, number>();
    for (const line of (await readFile(join(REPO, 'data/weather.csv'), 'utf8')).trimEnd().split('\n').slice(1)) {
      const [stream, ts] = line.split(',');
      const key = `weather/${stream}`;
      if (!first.has(key)) first.set(key, Date.parse(`${ts}Z`));
    }
    let inFit = 0;
    let scoredAfter = 0;
    for (const r of rows) {
      const step = (Date.parse(r[0]) - (first.get(r[1]) as number)) / STEP + 1;
      if (step <= FIT_STEPS) {
        inFit++;
        expect(r[score], `${r[1]} ${r[0]} (step ${step}) is in the fit window`).toBe('');
      } else if (r[score] !== '') scoredAfter++;
    }
    expect(inFit).toBe(4 * (FIT_STEPS - 1));
    expect(scoredAfter).toBeGreaterThan(rows.length / 2);
    const unscored = rulesRun.summary.unscored as Record<string, number>;
    expect(unscored.fit).toBe(inFit);
    expect(unscored.start).toBe(4);
    expect(rulesRun.summary.scored).toBe(rows.filter((r) => r[score] !== '').length);
    // No alert inside the fit window either.
    for (const a of await readJsonLines<Alert>(join(dir, 'rules.alerts.jsonl'))) {
      expect((a.time - (first.get(a.stream) as number)) / STEP + 1).toBeGreaterThan(FIT_STEPS);
    }
  });

  it('writes the same alerts as the daemon on the same records (the daemon inferring step_ms: auto)', async () => {
    const daemonAlerts = join(dir, 'daemon-alerts.jsonl');
    const file = join(dir, 'daemon.yaml');
    await writeFile(
      file,
      pipelineYaml(join(dir, 'd'), { rules: RULES, step: 'auto', sinks: `[{ kind: file, alerts_path: ${daemonAlerts}, fsync: false }]` }),
    );
    const d = await startDaemon(file);
    await waitFor('the file source to end', async () => (d.lines.some((l) => l.msg === 'Source ended.') ? true : undefined), 120_000);
    expect(d.lines.find((l) => l.msg === 'step_ms inferred from the data.')).toMatchObject({ pipeline: 'bench', step_ms: STEP });
    kill(d.child.pid as number, 'SIGTERM');
    expect(await d.exited).toBe(0);
    const live = (await readFile(daemonAlerts, 'utf8')).trimEnd().split('\n');
    const replayed = (await readFile(join(dir, 'rules.alerts.jsonl'), 'utf8')).trimEnd().split('\n');
    // The daemon leaves each stream's last step open (no end-of-file flush); replay closes it.
    const last = Math.max(...replayed.map((l) => (JSON.parse(l) as Alert).time));
    const sort = (ls: string[]) => [...ls].sort();
    expect(live.length).toBeGreaterThan(10);
    expect(sort(live)).toEqual(sort(replayed.filter((l) => (JSON.parse(l) as Alert).time < last || live.includes(l))));
  }, 180_000);

  it('writes every horizon with --horizons all, equal to the 1-step rows one step later', async () => {
    const wide = join(dir, 'wide.csv');
    const r = await replay([withRules, '-i', 'data/weather.csv', '-o', wide, '--horizons', 'all', '--no-alerts']);
    const { header, rows } = csvRows(await readFile(wide, 'utf8'));
    expect(header).toEqual([
      'timestamp',
      'stream',
      'actual',
      'anomaly_score',
      'imputed',
      'forecast_1',
      'forecast_2',
      'forecast_3',
      'forecast_4',
      'lower_1',
      'lower_2',
      'lower_3',
      'lower_4',
      'upper_1',
      'upper_2',
      'upper_3',
      'upper_4',
    ]);
    expect(rows.length).toBe(4320);
    expect(r.summary.written).toBe(4320);
    const one = csvRows(await readFile(join(dir, 'rules.csv'), 'utf8'));
    const col = (n: string) => one.header.indexOf(n);
    const oneStep = new Map(one.rows.map((x) => [`${x[1]}|${Date.parse(x[0])}`, x]));
    let matched = 0;
    for (const w of rows) {
      for (let h = 0; h < 4; h++) {
        expect(Number(w[9 + h])).toBeLessThanOrEqual(Number(w[5 + h]));
        expect(Number(w[13 + h])).toBeGreaterThanOrEqual(Number(w[5 + h]));
      }
      // forecast_1 made at t is the 1-step layout's forecast for t + step.
      const next = oneStep.get(`${w[1]}|${Date.parse(w[0]) + STEP}`);
      if (next === undefined) continue;
      matched++;
      expect([w[5], w[9], w[13]]).toEqual([next[col('forecast')], next[col('lower')], next[col('upper')]]);
      // And t's score is the 1-step row of t.
      expect(w[3]).toBe(oneStep.get(`${w[1]}|${Date.parse(w[0])}`)?.[col('anomaly_score')] ?? '');
    }
    expect(matched).toBe(4316);
    // Farther horizons are different forecasts, not copies.
    expect(rows.filter((w) => w[5] !== w[8]).length).toBeGreaterThan(rows.length / 2);
  });

  it('replays every file of a folder with fresh state, same relative names, a summary per file and the total', async () => {
    const input = join(dir, 'in');
    await mkdir(join(input, 'sub'), { recursive: true });
    const weather = await readFile(join(REPO, 'data/weather.csv'), 'utf8');
    await writeFile(join(input, 'a.csv'), weather);
    const json = weather
      .trimEnd()
      .split('\n')
      .slice(1, 2001)
      .map((l) => {
        const [stream, timestamp, value] = l.split(',');
        return JSON.stringify({ stream, timestamp, value: Number(value) });
      });
    await writeFile(join(input, 'sub', 'b.jsonl'), `${json.join('\n')}\n`);
    await writeFile(join(input, 'notes.txt'), 'not data\n');
    const out = join(dir, 'out');
    const r = await replay([withRules, '-i', input, '-o', out]);
    // a.csv is the whole file with fresh state: the same as its own replay.
    expect(await readFile(join(out, 'a.csv'), 'utf8')).toBe(await readFile(join(dir, 'rules.csv'), 'utf8'));
    expect(await readFile(join(out, 'a.alerts.jsonl'), 'utf8')).toBe(await readFile(join(dir, 'rules.alerts.jsonl'), 'utf8'));
    const b = csvRows(await readFile(join(out, 'sub', 'b.csv'), 'utf8'));
    expect(b.rows.length).toBeGreaterThan(400);
    const perFile = r.stderr
      .split('\n')
      .filter((l) => l.includes('"msg":"Replay written."'))
      .map((l) => JSON.parse(l) as { input: string; rows: number });
    expect(perFile.map((f) => [f.input, f.rows])).toEqual([
      [join(input, 'a.csv'), 4320],
      [join(input, 'sub', 'b.jsonl'), 2000],
    ]);
    expect(r.summary).toMatchObject({ msg: 'Replay of the folder written.', files: 2, rows: 6320 });
  });

  it('infers step_ms: auto from the input, and the replay equals the one with the step set', async () => {
    const auto = join(dir, 'auto.yaml');
    await writeFile(auto, pipelineYaml(dir, { rules: RULES, step: 'auto' }));
    const v = await run(process.execPath, [BIN, 'validate', auto, withRules], { cwd: REPO });
    expect(v.stdout).toContain(`${auto}: ok`);
    const r = await replay([auto, '-i', 'data/weather.csv', '-o', join(dir, 'auto.csv')]);
    expect(r.stderr).toContain('"step_ms":3600000,');
    expect(r.summary.stepMs).toBe(STEP);
    expect(await readFile(join(dir, 'auto.csv'), 'utf8')).toBe(await readFile(join(dir, 'rules.csv'), 'utf8'));
  });

  it('replays a pipeline whose file source only declares columns (no path); validate warns, run refuses it', async () => {
    const input = join(dir, 'ids.csv');
    const weather = (await readFile(join(REPO, 'data/weather.csv'), 'utf8')).trimEnd().split('\n').slice(1);
    await writeFile(
      input,
      `ts,id,value\n${weather
        .map((l) => {
          const [a, b, c] = l.split(',');
          return `${b},${a},${c}`;
        })
        .join('\n')}\n`,
    );
    const declared = join(dir, 'declared.yaml');
    const yaml = pipelineYaml(dir, { rules: RULES }).replace(
      `path: ${join(REPO, 'data/weather.csv')}, key_column: stream,`,
      'key_column: id, time_column: ts,',
    );
    expect(yaml).toContain('{ kind: file, key_column: id, time_column: ts, key_prefix: weather/');
    await writeFile(declared, yaml);
    const v = await run(process.execPath, [BIN, 'validate', declared], { cwd: REPO });
    expect(v.stdout).toContain(`${declared}: ok (bench)`);
    expect(v.stderr).toMatch(/declared\.yaml:5:5 sources\[0\]\.path: warning: file source without a path/);
    const runIt = await run(process.execPath, [BIN, 'run', declared, '--port', '0'], { cwd: REPO }).then(
      () => 0,
      (e: { code: number; stderr: string }) => {
        expect(e.stderr).toContain('sources[0]: file source without a path');
        return e.code;
      },
    );
    expect(runIt).toBe(2);
    // The declared columns read the renamed file into the same rows as the original.
    await replay([declared, '-i', input, '-o', join(dir, 'declared.csv')]);
    expect(await readFile(join(dir, 'declared.csv'), 'utf8')).toBe(await readFile(join(dir, 'rules.csv'), 'utf8'));
    // Columns on the command line override the file source's.
    await replay([withRules, '-i', input, '-o', join(dir, 'flags.csv'), '--key-column', 'id', '--time-column', 'ts']);
    expect(await readFile(join(dir, 'flags.csv'), 'utf8')).toBe(await readFile(join(dir, 'rules.csv'), 'utf8'));
    // A wide file (each value column a stream) through a long-format pipeline.
    const wide = join(dir, 'wide-in.csv');
    await writeFile(
      wide,
      `date,a,b\n${Array.from({ length: 300 }, (_, i) => `${new Date(i * STEP).toISOString()},${Math.sin(i / 4)},${i % 7}`).join('\n')}\n`,
    );
    const w = await replay([
      withRules,
      '-i',
      wide,
      '-o',
      join(dir, 'wide-out.csv'),
      '--no-key-column',
      '--time-column',
      'date',
      '--value-columns',
      'a,b',
      '--key-prefix',
      'w/',
    ]);
    expect(w.summary).toMatchObject({ rows: 300, streams: 2, written: 2 * 299 });
    const streams = new Set(csvRows(await readFile(join(dir, 'wide-out.csv'), 'utf8')).rows.map((r) => r[1]));
    expect(streams).toEqual(new Set(['w/a', 'w/b']));
  });

  it('warns with the likely reason when it writes nothing', async () => {
    const minute = join(dir, 'minute.yaml');
    await writeFile(minute, pipelineYaml(dir, { rules: RULES, step: '1m' }));
    const r = await replay([minute, '-i', 'data/weather.csv', '-o', join(dir, 'minute.csv')]);
    const warn = r.stderr
      .split('\n')
      .filter((l) => l.includes('Replay wrote no rows.'))
      .map((l) => JSON.parse(l) as { reason: string });
    expect(warn).toHaveLength(1);
    expect(warn[0].reason).toContain("step_ms is far smaller than the data's spacing");
    expect(warn[0].reason).toContain('about 1h apart, step_ms is 1m');
    expect(r.summary).toMatchObject({ written: 0, unscored: { restart: 4320 - 4 } });
  });
});
