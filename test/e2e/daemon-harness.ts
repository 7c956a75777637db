import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';

// Starts `tidecast run` as a child process the way an operator would, and waits on it with deadlines.

export const REPO = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO, 'bin/tidecast.js');
/** Where the daemon runs (its relative data paths resolve here): the repository root. */
export const CWD = process.env.TIDECAST_E2E_CWD ?? REPO;

export interface Daemon {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: Record<string, unknown>[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Copies demo.yaml with its state and outputs under `dir`, its replay clocks `speedup`× faster and no loop. */
export async function demoCopy(dir: string, speedup: number): Promise<string> {
  const doc = parseDocument(await readFile(join(REPO, 'pipelines/demo.yaml'), 'utf8'));
  const pipelines = (
    doc.toJS() as { pipelines: { name: string; sources: { replay?: { speedup?: number } }[]; sinks: Record<string, string>[] }[] }
  ).pipelines;
  pipelines.forEach((p, i) => {
    doc.setIn(['pipelines', i, 'state', 'dir'], join(dir, 'state', p.name));
    p.sources.forEach((s, j) => {
      doc.setIn(['pipelines', i, 'sources', j, 'replay', 'speedup'], (s.replay?.speedup ?? 3600) * speedup);
      // One pass of each sample: the tests compare against one uninterrupted replay of the file
      // (demo-loop.test.ts covers `loop`).
      doc.setIn(['pipelines', i, 'sources', j, 'loop'], false);
    });
    p.sinks.forEach((sink, j) => {
      for (const key of ['forecasts_path', 'alerts_path', 'dead_letters_path']) {
        if (sink[key] !== undefined)
          doc.setIn(['pipelines', i, 'sinks', j, key], join(dir, 'out', `${p.name}-${key.replace('_path', '')}.jsonl`));
      }
    });
  });
  const file = join(dir, 'demo-test.yaml');
  await writeFile(file, doc.toString());
  return file;
}

export async function startDaemon(file: string, timeoutMs = 60_000): Promise<Daemon> {
  const child = spawn(process.execPath, [BIN, 'run', file, '--port', '0'], { cwd: CWD, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  let buf = '';
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`daemon did not start in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          lines.push(rec);
          if (rec.msg === 'Tidecast is running.') {
            clearTimeout(timer);
            res(String(rec.url));
          }
        } catch {
          // not a log line
        }
      }
    });
    void exited.then((code) => rej(new Error(`daemon exited with ${code} before starting; stderr: ${stderr}`)));
  });
  return { child, url, lines, exited };
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function readJsonLines<T>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}
