import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from './main.js';

const REPO = resolve(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/tidecast.js');
const run = promisify(execFile);

async function tidecast(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { cwd: REPO });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function helpOf(args: string[]): string {
  let out = '';
  const program = buildProgram()
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  try {
    program.parse(['node', 'tidecast', ...args]);
  } catch (err) {
    if ((err as { code?: string }).code !== 'commander.helpDisplayed') throw err;
  }
  return out;
}

describe('tidecast CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-cli-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has --help on every command', () => {
    expect(helpOf(['--help'])).toMatch(/Usage: tidecast \[options\] \[command\][\s\S]*run[\s\S]*validate[\s\S]*replay[\s\S]*train/);
    for (const cmd of ['run', 'validate', 'replay', 'train']) {
      expect(helpOf([cmd, '--help'])).toContain(`Usage: tidecast ${cmd} [options] <pipeline`);
    }
    expect(helpOf(['replay', '--help'])).toContain('--input <path>');
    expect(helpOf(['replay', '--help'])).toContain('--horizons <which>');
    expect(helpOf(['run', '--help'])).toContain('--port <port>');
  });

  it('run refuses a checkpoint written with other settings: one line on stderr, exit 2, no stack', async () => {
    const state = join(dir, 'stale-state');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(state, { recursive: true });
    await writeFile(join(state, 'checkpoint.json'), JSON.stringify({ version: 1, pipeline: 'stale', fingerprint: 'other-settings' }));
    await writeFile(join(dir, 'in.csv'), 'stream,timestamp,value\na,2024-01-01T00:00:00Z,1\n');
    const file = join(dir, 'stale.yaml');
    await writeFile(
      file,
      `name: stale\nstep_ms: 60000\nsources: [{ kind: file, path: ${join(dir, 'in.csv')}, key_column: stream }]\nsinks: []\nmodel: { cell: gru, units: 4, horizon: 2 }\nstate: { dir: ${state} }\n`,
    );
    const r = await tidecast(['run', file, '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^tidecast: Checkpoint .*checkpoint\.json was written with different data or model settings; move the directory away/,
      ),
    ]);
  });

  it('validate passes on every file in pipelines/', async () => {
    const files = (await readdir(join(REPO, 'pipelines'))).filter((f) => f.endsWith('.yaml')).map((f) => `pipelines/${f}`);
    expect(files.length).toBeGreaterThanOrEqual(4);
    const r = await tidecast(['validate', ...files]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of files) expect(r.stdout).toContain(`${f}: ok (`);
  });

  it('validate fails on a broken file with every problem, each with file:line:col, path and hint', async () => {
    const broken = join(dir, 'broken.yaml');
    await writeFile(
      broken,
      [
        'name: Weather Station', // 1: uppercase and space
        'step_ms: -5', // 2
        'sources:', // 3
        '  - kind: file', // 4
        '    path: no/such/file.csv', // 5
        '    key_column: stream', // 6
        '    replay: { speedup: 0 }', // 7
        'model: { cell: gru, units: 8, horizon: 3, layer: 2 }', // 8
        'state: { dir: var/x }', // 9
        '',
      ].join('\n'),
    );
    const r = await tidecast(['validate', broken]);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `${broken}:1:7 name: lowercase letters, digits, "_" and "-", got "Weather Station" (Pipeline name: appears in logs, metrics, the API and every forecast.)`,
      `${broken}:2:10 step_ms: must be > 0, got -5 (Grid step in milliseconds (600000: 10 min, 1000: 1 s), a duration ("10m", "1h", "1d") or "auto" (inferred from the data).)`,
      `${broken}:7:24 sources[0].replay.speedup: must be > 0, got 0 (Event-time milliseconds replayed per wall-clock millisecond (3600: one hour of data per second).)`,
      `${broken}:8:43 model.layer: unknown key (did you mean "layers"?)`,
    ]);
  });

  it('validate reports a missing data file at its place once the schema passes', async () => {
    const f = join(dir, 'missing.yaml');
    await writeFile(
      f,
      'name: w\nstep_ms: 1000\nsources:\n  - kind: file\n    path: no/such/file.csv\n    key_column: stream\nmodel: { cell: rnn, units: 4, horizon: 2 }\nstate: { dir: var/x }\n',
    );
    const r = await tidecast(['validate', f]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `${f}:5:11 sources[0].path: file "no/such/file.csv" does not exist (paths are relative to the working directory)`,
    );
  });
});
