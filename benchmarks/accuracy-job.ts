// One replay of the accuracy bench in a process of its own, as `tidecast replay` runs: the offline
// fit's WASM kernel heap is per process and never freed, so many fits in one process would exhaust
// it (and a fresh process also keeps runs from sharing any state). The parent passes a job as JSON
// in argv and reads one JSON result line from stdout.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BucketAccuracy } from '../src/forecasting/forecast-accuracy.js';
import { replayScored, type ServedRun } from './accuracy-served.js';
import { variantSpec, type SpecEdit, type Variant } from './accuracy-specs.js';

export interface AccuracyJob {
  readonly file: string;
  readonly variant: Variant;
  readonly edit: SpecEdit;
  readonly input: string;
  readonly horizons: readonly number[];
  readonly season?: number;
  /** Which windows count: the whole window o + 1 .. o + H inside the test rows, or origins from a step on. */
  readonly window: { readonly testStart: number; readonly testEnd: number } | { readonly fromOrigin: number };
  /** Per-stream divisor of errors and widths (the z scale's std); 1 for streams not listed. */
  readonly scale?: Readonly<Record<string, number>>;
}

export type JobResult =
  | { readonly ok: false; readonly reason: string }
  | (Pick<ServedRun, 'rows' | 'steps' | 'streams' | 'seconds' | 'stepSeconds' | 'stepCpuSeconds'> & {
      readonly ok: true;
      readonly served: Record<string, BucketAccuracy>;
      readonly head?: Record<string, BucketAccuracy>;
    });

export async function runJobHere(job: AccuracyJob): Promise<JobResult> {
  const s = await variantSpec(job.file, job.variant, job.edit);
  if (!s.ok) return { ok: false, reason: s.reason };
  const w = job.window;
  const counts =
    'fromOrigin' in w ? (o: number) => o >= w.fromOrigin : (o: number, H: number) => o + 1 >= w.testStart && o + H <= w.testEnd - 1;
  const run = await replayScored(s.spec, job.input, { horizons: job.horizons, season: job.season, counts });
  const scaleOf = job.scale === undefined ? undefined : (key: string) => job.scale?.[key] ?? 1;
  return {
    ok: true,
    rows: run.rows,
    steps: run.steps,
    streams: run.streams,
    seconds: run.seconds,
    stepSeconds: run.stepSeconds,
    stepCpuSeconds: run.stepCpuSeconds,
    served: run.served.summary(scaleOf),
    ...(run.head === undefined ? {} : { head: run.head.summary(scaleOf) }),
  };
}

/**
 * Runs a job in a child process (node --import tsx); one retry when the process fails (the team's
 * shared working tree can be mid-edit), then rejects with the error from its stderr.
 */
export async function runJob(job: AccuracyJob, say: (line: string) => void = () => undefined): Promise<JobResult> {
  try {
    return await runJobOnce(job);
  } catch (err) {
    say(`${(err as Error).message}; retrying once`);
    return runJobOnce(job);
  }
}

function runJobOnce(job: AccuracyJob): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as JobResult);
      else {
        // The error's own line (and the first frames) say more than Node's trailer.
        const lines = err.split('\n');
        const at = Math.max(
          0,
          lines.findIndex((l) => /Error\b/.test(l)),
        );
        reject(
          new Error(
            `accuracy job ${job.variant} over ${job.input} exited ${code}: ${lines
              .slice(at, at + 4)
              .map((l) => l.trim())
              .join(' | ')}`,
          ),
        );
      }
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await runJobHere(JSON.parse(process.argv[2]) as AccuracyJob);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
