// The daemon at scale: N streams (a generated file source, 30 one-minute steps each), GRU 1x16,
// horizon 15, one alert rule, no sinks. Per size, in a fresh process: RSS per stream after the
// source ended (all-in: the whole process / N), events/s through the daemon, the full checkpoint's
// bytes per stream and write time, an incremental checkpoint with 1% of the streams changed, and
// the restore time of a fresh runtime from base + delta.
//
//   npm run bench:scale                              10k, 100k and 1M streams
//   npm run bench:scale -- --sizes 10000,100000 [--steps 30] [--history-points 60] [--forecaster recurrent]
//                          [--max-resident 1000] [--json]
//
// --forecaster: model.forecaster (default: the pipeline default, hybrid, whose per-stream online
// readout record is ~59 KB at one-minute steps; recurrent serves the GRU alone). Times are wall
// clock; the JSON's meta.details also has the CPU time of each phase (a shared machine inflates wall).
// --max-resident: limits.max_resident_streams; the full checkpoint (after the source ended, every step
// closed) then evicts all but that many streams to the spill file, the incremental one's 1% come back
// (details: evictedStreams, spillBytes, residentAfter; RSS is measured before, slabs do not shrink).
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const STEP_MS = 60_000;
const T0 = Date.UTC(2025, 0, 1);

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const json = process.argv.includes('--json');
const sizes = (option('sizes') ?? '10000,100000,1000000').split(',').map(Number);
const steps = Number(option('steps') ?? 30);
const historyPoints = Number(option('history-points') ?? 60);
const forecaster = option('forecaster');
const maxResident = option('max-resident');
if (sizes.some((n) => !Number.isInteger(n) || n < 100) || !Number.isInteger(steps) || steps < 2)
  throw new Error('--sizes: integers >= 100, --steps: integer >= 2');

/** streams x steps rows, step-major (as a live feed arrives), one-minute steps. */
async function writeData(path: string, streams: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('stream,timestamp,value\n');
  for (let k = 0; k < steps; k++) {
    const t = T0 + k * STEP_MS;
    let chunk = '';
    for (let s = 0; s < streams; s++) {
      chunk += `s${s},${t},${(20 + 5 * Math.sin((2 * Math.PI * (k + s)) / 60) + ((s * 7919 + k * 104729) % 1000) / 500).toFixed(3)}\n`;
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function pipelineYaml(dir: string, streams: number): string {
  return `name: scale
step_ms: ${STEP_MS}
sources:
  - kind: file
    path: ${join(dir, 'scale.csv')}
    key_column: stream
    key_prefix: scale/
    replay: { speedup: 1000000000000, max_batch_records: 5000 }
model: { cell: gru, layers: 1, units: 16, horizon: 15, seed: 3${forecaster === undefined ? '' : `, forecaster: ${forecaster}`} }
training: { offline: { enabled: false } }
alerting:
  rules:
    - { name: deviation, detector: score, warning: 0.999, critical: 0.9999, for: 2 }
limits: { max_streams: ${streams * 2}, history_points: ${historyPoints}${maxResident === undefined ? '' : `, max_resident_streams: ${maxResident}`} }
state: { dir: ${join(dir, 'state')}, checkpoint_interval_ms: 86400000 }
`;
}

function child(args: string[]): Promise<Record<string, number>> {
  return new Promise((res, rej) => {
    const p = spawn(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=16384', '--import', 'tsx', join(REPO, 'benchmarks/scale-child.ts'), ...args],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) res(JSON.parse(last) as Record<string, number>);
      else rej(new Error(`scale child ${args[0]} exited ${code}: ${out.slice(-500)}`));
    });
  });
}

interface Row {
  rssBytesPerStream: number;
  checkpointBytesPerStream: number;
  checkpointMs: number;
  incrementalCheckpointMs: number;
  restoreMs: number;
  eventsPerSec: number;
  detail: Record<string, number>;
}

const results: Record<string, Row> = {};
for (const n of sizes) {
  const dir = await mkdtemp(join(tmpdir(), `tidecast-scale-${n}-`));
  try {
    await writeData(join(dir, 'scale.csv'), n);
    const file = join(dir, 'scale.yaml');
    await writeFile(file, pipelineYaml(dir, n));
    const common = [file, String(n), String(steps), String(T0), String(STEP_MS)];
    const r = await child(['run', ...common]);
    const rr = await child(['restore', ...common]);
    if (r.streams !== n || rr.restoredStreams !== n)
      throw new Error(`expected ${n} streams, held ${r.streams}, restored ${rr.restoredStreams}`);
    results[n] = {
      rssBytesPerStream: Math.round(r.rssBytes / n),
      checkpointBytesPerStream: Math.round(r.checkpointBytes / n),
      checkpointMs: Math.round(r.checkpointMs),
      incrementalCheckpointMs: Math.round(r.incrementalCheckpointMs),
      restoreMs: Math.round(rr.restoreMs),
      eventsPerSec: Math.round(r.eventsPerSec),
      detail: { ...r, ...rr },
    };
    if (!json) process.stderr.write(`${n} streams done\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (json) {
  const streams = Object.fromEntries(Object.entries(results).map(([n, { detail: _d, ...row }]) => [n, row]));
  process.stdout.write(
    `${JSON.stringify({ streams, meta: { steps, historyPoints, forecaster: forecaster ?? 'default', maxResident: maxResident ?? null, details: Object.fromEntries(Object.entries(results).map(([n, r]) => [n, r.detail])) } })}\n`,
  );
} else {
  const head = ['streams', 'RSS B/stream', 'ckpt B/stream', 'full ckpt ms', 'incr (1%) ms', 'restore ms', 'events/s'];
  const rows = Object.entries(results).map(([n, r]) =>
    [n, r.rssBytesPerStream, r.checkpointBytesPerStream, r.checkpointMs, r.incrementalCheckpointMs, r.restoreMs, r.eventsPerSec].map(
      String,
    ),
  );
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(w[i])).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(
    `(${steps} steps per stream, GRU 1x16, horizon 15, forecaster ${forecaster ?? 'default'}, one alert rule, limits.history_points ${historyPoints}${maxResident === undefined ? '' : `, max_resident_streams ${maxResident}`}; RSS = whole process / streams)`,
  );
}
