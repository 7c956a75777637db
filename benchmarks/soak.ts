// The daemon under a steady load for a long time: N streams fed at a fixed rate from a generated file
// (a few malformed rows among them), GRU 1x16, horizon 15, one alert rule. Reports RSS growth after
// warm-up, the event loop's delay (p99 as the daemon's own /metrics reports it), and the accounting
// that nothing was lost: every row read is a forecast step or a dead letter.
//
//   npm run bench:soak                                   10k streams, 5,000 records/s, 10 minutes
//   npm run bench:soak -- --streams 2000 --rate 2000 --minutes 1 [--json]
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';

const REPO = resolve(import.meta.dirname, '..');
const STEP_MS = 60_000;
const T0 = Date.UTC(2025, 0, 1);
/** One malformed row in this many: dead letters must be counted, not lost. */
const BAD_EVERY = 9_973;
const WARMUP_SHARE = 0.3;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

interface Load {
  readonly streams: number;
  readonly rate: number;
  readonly minutes: number;
}

/** Rows for `steps` steps of every stream; returns how many rows are malformed. */
async function writeData(path: string, load: Load, steps: number): Promise<{ rows: number; bad: number }> {
  const out = createWriteStream(path);
  out.write('stream,timestamp,value\n');
  let rows = 0;
  let bad = 0;
  for (let k = 0; k < steps; k++) {
    const t = new Date(T0 + k * STEP_MS).toISOString();
    let chunk = '';
    for (let s = 0; s < load.streams; s++) {
      rows++;
      const malformed = rows % BAD_EVERY === 0;
      if (malformed) bad++;
      const v = 20 + 5 * Math.sin((2 * Math.PI * (k + s)) / 60) + ((s * 7919 + k * 104729) % 1000) / 500;
      chunk += `s${s},${t},${malformed ? 'n/a' : v.toFixed(3)}\n`;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { rows, bad };
}

function pipelineYaml(dir: string, load: Load): string {
  // speedup: one step of every stream per (streams / rate) seconds of wall time.
  const speedup = Math.round(STEP_MS / ((load.streams / load.rate) * 1000));
  return `name: soak
step_ms: ${STEP_MS}
fields: [{ name: value, aggregation: mean }]
sources:
  - kind: file
    path: ${join(dir, 'soak.csv')}
    key_column: stream
    key_prefix: soak/
    replay: { speedup: ${speedup}, max_batch_records: 1000 }
sinks:
  - kind: file
    dead_letters_path: ${join(dir, 'dead-letters.jsonl')}
impute: { method: linear, max_gap_steps: 6 }
normalise: { method: ewm_zscore, half_life_steps: 120 }
model: { cell: gru, layers: 1, units: 16, horizon: 15, seed: 3 }
alerting:
  rules:
    - { name: deviation, detector: score, warning: 0.999, critical: 0.9999, for: 2 }
limits: { max_streams: ${Math.max(20_000, load.streams * 2)} }
state: { dir: ${join(dir, 'state')}, checkpoint_interval_ms: 30000 }
`;
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

function metric(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (labels && !rest.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * Records the daemon answered for: each is a forecast step or a dead letter. A malformed row's step
 * is still forecast (imputed from its neighbours): imputed steps are not records.
 */
function accounted(text: string): number {
  const imputed = metric(text, 'tidecast_component_events_total', 'name="imputed_steps"');
  return metric(text, 'tidecast_forecasts_total') - imputed + metric(text, 'tidecast_dead_letters_total');
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] ?? Number.NaN);
};

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const load: Load = { streams: arg('streams', 10_000), rate: arg('rate', 5_000), minutes: arg('minutes', 10) };
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'tidecast-soak-'));
  try {
    const steps = Math.max(2, Math.ceil((load.rate * load.minutes * 60) / load.streams));
    log(`soak: writing ${steps} steps x ${load.streams} streams to ${dir}`);
    const data = await writeData(join(dir, 'soak.csv'), load, steps);
    const file = join(dir, 'soak.yaml');
    await writeFile(file, pipelineYaml(dir, load));

    const child = spawn(process.execPath, [join(REPO, 'bin/tidecast.js'), 'run', file, '--port', '0'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((res, rej) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m =
          /"msg":"Tidecast is running\."[^\n]*"url":"([^"]+)"/.exec(buf) ?? /"url":"([^"]+)"[^\n]*"msg":"Tidecast is running\."/.exec(buf);
        if (m?.[1]) res(m[1]);
        if (buf.length > 1 << 20) buf = buf.slice(-4096);
      });
      child.on('exit', (code) => rej(new Error(`daemon exited with ${code} before starting`)));
    });
    const started = Date.now();
    const samples: { at: number; rss: number; lagP99: number; read: number }[] = [];
    let metricsText = '';
    let readDoneSec = Number.NaN;
    const expectedSec = load.minutes * 60;
    // Sample until every row is accounted for (or 3x the planned time: then something is stuck).
    for (;;) {
      await new Promise((r) => setTimeout(r, 2_000));
      metricsText = await (await fetch(`${url}/metrics`)).text();
      const read = metric(metricsText, 'tidecast_received_events_total', 'component="file-0"'); // the unnamed file source
      const at = (Date.now() - started) / 1000;
      // prom-client resets the delay histogram at every scrape: each sample is the last 2 s.
      samples.push({
        at,
        rss: await rssBytes(child.pid ?? 0),
        lagP99: metric(metricsText, 'tidecast_nodejs_eventloop_lag_p99_seconds'),
        read,
      });
      if (read >= data.rows && Number.isNaN(readDoneSec)) readDoneSec = at;
      const done = read >= data.rows && accounted(metricsText) >= data.rows;
      if (done || (Date.now() - started) / 1000 > 3 * expectedSec + 60) break;
    }
    const elapsed = (Date.now() - started) / 1000;
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];

    const forecasts = metric(metricsText, 'tidecast_forecasts_total');
    const deadLetters = metric(metricsText, 'tidecast_dead_letters_total');
    const imputedSteps = metric(metricsText, 'tidecast_component_events_total', 'name="imputed_steps"');
    const afterWarmup = samples.filter((s) => s.at >= elapsed * WARMUP_SHARE);
    const window = Math.max(1, Math.floor(afterWarmup.length / 5));
    const rssStart = median(afterWarmup.slice(0, window).map((s) => s.rss));
    const rssEnd = median(afterWarmup.slice(-window).map((s) => s.rss));
    const result = {
      load,
      backend: `node ${process.version}, daemon: tidecast run (file source, GRU 1x16, horizon 15, one alert rule)`,
      elapsedSec: Math.round(elapsed),
      recordsIn: data.rows,
      malformedIn: data.bad,
      forecastsOut: forecasts,
      deadLetters,
      imputedSteps,
      nothingLost: accounted(metricsText) === data.rows,
      achievedRate: Math.round(data.rows / readDoneSec),
      rssAfterWarmupBytes: rssStart,
      rssEndBytes: rssEnd,
      rssGrowthPct: Number((((rssEnd - rssStart) / rssStart) * 100).toFixed(2)),
      rssBytesPerStream: Math.round(rssEnd / load.streams),
      eventLoopLagP99Ms: Number((Math.max(...afterWarmup.map((s) => s.lagP99)) * 1000).toFixed(1)),
      eventLoopLagP99MedianMs: Number((median(afterWarmup.map((s) => s.lagP99)) * 1000).toFixed(1)),
      daemonExitCode: code,
      targets: { rssGrowthPct: 5, nothingLost: true },
    };
    if (json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB`;
    log(`\nbench:soak: ${load.streams} streams at ${load.rate} records/s for ${load.minutes} min (${result.backend})`);
    log(`| measure | value | target |\n|---|---|---|`);
    log(`| records in (malformed) | ${data.rows} (${data.bad}) | |`);
    log(
      `| forecasts out - imputed steps + dead letters | ${forecasts} - ${imputedSteps} + ${deadLetters} = ${accounted(metricsText)} | = records in: ${result.nothingLost ? 'yes' : 'NO'} |`,
    );
    log(
      `| achieved rate (source read to the end) | ${result.achievedRate}/s in ${readDoneSec.toFixed(0)} s; all accounted for after ${result.elapsedSec} s | ${load.rate}/s |`,
    );
    log(`| RSS after warm-up -> end | ${mb(rssStart)} -> ${mb(rssEnd)} (${result.rssGrowthPct}%) | <= 5% |`);
    log(
      `| event-loop delay p99 after warm-up, 2 s windows: max / median | ${result.eventLoopLagP99Ms} / ${result.eventLoopLagP99MedianMs} ms | |`,
    );
    log(`| daemon exit code on SIGTERM | ${code} | 0 |`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
