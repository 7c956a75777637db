import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { currentKafkaClient } from './kafka-clients.js';
import type { TestPipelineOptions } from './kafka-pipeline.js';

// Runs one consumer-group instance (kafka-instance-main.ts) as a child process and follows its reports.

const MAIN = resolve(import.meta.dirname, 'kafka-instance-main.ts');
// Node with tsx's loader, not the tsx CLI: the CLI runs the script in a grandchild that a SIGKILL would orphan.
const TSX_LOADER = createRequire(import.meta.url).resolve('tsx'); // what `node --import tsx` loads

export interface InstanceReport {
  readonly type: 'started' | 'assigned' | 'progress' | 'stopped';
  readonly partitions?: number[];
  readonly restored?: number;
  readonly processed?: number;
}

export interface Instance {
  readonly child: ChildProcess;
  readonly reports: InstanceReport[];
  readonly stderr: string[];
  /** Resolves with the first report (old or new) that matches; rejects after the deadline or if the child exits. */
  waitFor(match: (r: InstanceReport) => boolean, timeoutMs: number, what: string): Promise<InstanceReport>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

type Options = Omit<TestPipelineOptions, 'log' | 'onBatch' | 'onAssigned'>;

export function spawnInstance(options: Options): Instance {
  const args = JSON.stringify({ client: currentKafkaClient(), ...options });
  const child = spawn(process.execPath, ['--import', pathToFileURL(TSX_LOADER).href, MAIN, args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const reports: InstanceReport[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      reports.push(JSON.parse(line) as InstanceReport);
    } catch {
      stderr.push(line);
    }
    for (const w of waiters) w();
  });
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
    for (const w of waiters) w();
  });
  return {
    child,
    reports,
    stderr,
    waitFor: (match, timeoutMs, what) =>
      new Promise((res, rej) => {
        const timer = setTimeout(
          () => done(new Error(`instance ${child.pid}: no ${what} in ${timeoutMs} ms; stderr tail:\n${stderr.slice(-15).join('\n')}`)),
          timeoutMs,
        );
        const check = () => {
          const r = reports.find(match);
          if (r !== undefined) done(null, r);
          else if (gone) done(new Error(`instance ${child.pid} exited before ${what}; stderr tail:\n${stderr.slice(-15).join('\n')}`));
        };
        const done = (err: Error | null, r?: InstanceReport) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) rej(err);
          else res(r!);
        };
        waiters.add(check);
        check();
      }),
    kill: (signal) => {
      if (!gone) child.kill(signal);
      return exited;
    },
  };
}
