import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

// Starts the real daemon as a user would (`tidecast run pipelines/demo.yaml`) in a scratch working
// directory (demo.yaml's data/ and var/ paths are relative to it), on a free loopback port.

const ROOT = resolve(import.meta.dirname, '../..');

export interface RunningDaemon {
  readonly url: string;
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  /** SIGTERM, then the exit code (null if it had to be killed after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

export async function startDemoDaemon(timeoutMs = 90_000): Promise<RunningDaemon> {
  const cwd = mkdtempSync(join(tmpdir(), 'tidecast-dashboard-'));
  symlinkSync(join(ROOT, 'data'), join(cwd, 'data'));
  const child = spawn(
    join(ROOT, 'node_modules/.bin/tsx'),
    [join(ROOT, 'src/cli/main.ts'), 'run', join(ROOT, 'pipelines/demo.yaml'), '--port', '0', '--host', '127.0.0.1'],
    {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (b: Buffer) => stderr.push(b.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`Daemon not up in ${timeoutMs} ms. stderr: ${stderr.join('').slice(-2000)}`)), timeoutMs);
    void exited.then((code) => rej(new Error(`Daemon exited (${code}) before it was up. stderr: ${stderr.join('').slice(-2000)}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(rec);
      if (rec.msg === 'Tidecast is running.' && typeof rec.url === 'string') {
        clearTimeout(timer);
        res(rec.url);
      }
    });
  });
  return {
    url,
    child,
    logs,
    stop: async (graceMs = 30_000) => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      return code;
    },
  };
}
