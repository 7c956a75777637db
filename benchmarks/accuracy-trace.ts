// A fast loop for work on the served forecaster's readouts (src/forecasting/stream-readouts.ts):
// `record` replays one data set of the accuracy bench once (offline fit, retraining and the
// recurrent model included, as bench:accuracy's served run) and stores every input the readouts
// were given (per step: slot, time, level, centre, scale, flags, the recurrent model's outputs)
// with the actual; `score` runs StreamReadouts alone over that trace and scores it with the bench's
// own ForecastAccuracy, in seconds instead of minutes. The recurrent model does not depend on the
// readouts, so the trace stands for any readout settings. Ranges (model.range) are not applied, so
// figures can differ from bench:accuracy in the last digit; the bench stays the measure.
//   node --import tsx benchmarks/accuracy-trace.ts record ETTh2|ETTm1|WTH|weather|stocks|health
//   node --import tsx benchmarks/accuracy-trace.ts score NAME[,NAME..]|all [served|readout|served,readout]
// READOUT_OVERRIDES='{"forgetting":0.9995}' overrides StreamReadoutOptions; TC_PER_STREAM=1 adds
// each stream's ratios at the first horizon.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ForecastAccuracy } from '../src/forecasting/forecast-accuracy.js';
import { readoutOptions } from '../src/forecasting/readout-settings.js';
import { StreamReadouts } from '../src/forecasting/stream-readouts.js';
import { fitZScore } from '../src/forecasting/z-score.js';
import { PipelineEngine } from '../src/engine/pipeline-engine.js';
import { resolveAutoStep } from '../src/runtime/infer-step.js';
import { replayInto, replaySourceConfig } from '../src/runtime/replay/replay.js';
import { createLogger } from '../src/telemetry/logger.js';
import type { PipelineSpec } from '../src/config/pipeline-schema.js';
import { protocolSplit } from './accuracy-data.js';
import { rawPipeline, variantSpec, type SpecEdit } from './accuracy-specs.js';

const root = new URL('..', import.meta.url).pathname;
const dataDir = resolve(root, '../shared/data');
const traceDir = resolve(root, 'var/accuracy-trace');

interface Setup {
  readonly file: string;
  readonly edit: SpecEdit;
  readonly input: string;
  readonly horizons: number[];
  readonly season?: number;
  readonly counts: (o: number, H: number) => boolean;
  readonly scale?: Record<string, number>;
}

async function setup(name: string): Promise<Setup> {
  if (['ETTh2', 'ETTm1', 'WTH'].includes(name)) {
    const file = resolve(root, 'pipelines', `${name.toLowerCase()}.yaml`);
    const raw = await rawPipeline(file);
    const source = (raw.sources as Record<string, unknown>[]).find((s) => s.kind === 'file') as Record<string, unknown>;
    const data = join(dataDir, `${name}.csv`);
    const lines = (await readFile(data, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    const split = protocolSplit(name as 'ETTh2', lines.length - 1);
    await mkdir(traceDir, { recursive: true });
    const input = join(traceDir, `${name}-input.csv`);
    await writeFile(input, `${lines.slice(0, split.testEnd + 1).join('\n')}\n`);
    const columns = lines[0].split(',').slice(1);
    const train = new Float64Array(split.train * columns.length);
    for (let r = 0; r < split.train; r++) {
      const cells = lines[r + 1].split(',').slice(1);
      for (let j = 0; j < cells.length; j++) train[r * columns.length + j] = Number.parseFloat(cells[j]);
    }
    const z = fitZScore(train, columns.length, split.train);
    const scale = Object.fromEntries(columns.map((c, j) => [`${(source.key_prefix as string) ?? ''}${c}`, z.std[j]]));
    return {
      file,
      edit: { source: { ...source, path: input } },
      input,
      horizons: [1, 24],
      season: split.season,
      counts: (o, H) => o + 1 >= split.testStart && o + H <= split.testEnd - 1,
      scale,
    };
  }
  const file = resolve(root, 'pipelines/demo.yaml');
  const raw = await rawPipeline(file, name);
  const horizon = (raw.model as { horizon: number }).horizon;
  const fitSteps = (raw.training as { offline?: { steps?: number } } | undefined)?.offline?.steps ?? 512;
  const prefix = `${name}/`;
  let source: Record<string, unknown>;
  if (name === 'weather') {
    const wth = (await readFile(join(dataDir, 'WTH.csv'), 'utf8')).slice(0, 1000).split('\n')[0].split(',').slice(1);
    source = { kind: 'file', name: 'wth', path: join(dataDir, 'WTH.csv'), time_column: 'date', value_columns: wth, key_prefix: prefix };
  } else if (name === 'stocks')
    source = { kind: 'file', name: 'sp500', path: join(dataDir, 'stocks/sp500_daily.csv'), key_column: 'stream', key_prefix: prefix };
  else
    source = { kind: 'file', name: 'fitbit', path: join(dataDir, 'health/fitbit_heartrate.csv'), key_column: 'stream', key_prefix: prefix };
  return {
    file,
    edit: { pipeline: name, source },
    input: source.path as string,
    horizons: [1, horizon],
    season: name === 'weather' ? 24 : undefined,
    counts: (o) => o >= fitSteps,
  };
}

async function spec(s: Setup): Promise<PipelineSpec> {
  const v = await variantSpec(s.file, 'served', s.edit);
  if (!v.ok) throw new Error(v.reason);
  return resolveAutoStep(v.spec, [replaySourceConfig(v.spec, s.input)]);
}

/** Per step: slot, t, u, centre, sd, imputed, reset, actual, then 2H recurrent outputs. */
const FIXED = 8;

async function record(name: string): Promise<void> {
  const s = await setup(name);
  const sp = await spec(s);
  const H = sp.model.horizon;
  const width = FIXED + 2 * H;
  let buf = new Float64Array((width * 1) << 20);
  let n = 0;
  const proto = StreamReadouts.prototype as unknown as { step: (...a: unknown[]) => boolean };
  const original = proto.step;
  proto.step = function (this: unknown, ...a: unknown[]) {
    if ((n + 1) * width > buf.length) {
      const grown = new Float64Array(buf.length * 2);
      grown.set(buf);
      buf = grown;
    }
    const at = n * width;
    const [slot, t, u, centre, sd, imputed, reset, rec, recOff] = a as [
      number,
      number,
      number,
      number,
      number,
      boolean,
      boolean,
      Float32Array,
      number,
    ];
    buf.set([slot, t, u, centre, sd, imputed ? 1 : 0, reset ? 1 : 0, NaN], at);
    for (let j = 0; j < 2 * H; j++) buf[at + FIXED + j] = rec[recOff + j];
    n++;
    return original.apply(this, a);
  };
  const keys: string[] = [];
  const engine = new PipelineEngine(sp, {
    actual: (key, _t, value) => {
      buf[(n - 1) * width + 7] = value;
      const slot = buf[(n - 1) * width];
      keys[slot] = key;
    },
  });
  await replayInto(engine, s.input, createLogger({ level: 'warn', destination: process.stderr as never }));
  await mkdir(traceDir, { recursive: true });
  await writeFile(join(traceDir, `${name}.bin`), buf.subarray(0, n * width));
  await writeFile(join(traceDir, `${name}.json`), JSON.stringify({ keys, width, n, H }));
  console.error(`${name}: ${n} steps, ${keys.length} streams recorded`);
}

export async function scoreTrace(name: string, variant: 'served' | 'readout', overrides: Record<string, unknown> = {}) {
  const s = await setup(name);
  const sp = await spec(s);
  const meta = JSON.parse(await readFile(join(traceDir, `${name}.json`), 'utf8')) as {
    keys: string[];
    width: number;
    n: number;
    H: number;
  };
  const bytes = await readFile(join(traceDir, `${name}.bin`));
  const tr = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  const model = { ...sp.model, forecaster: variant === 'served' ? 'hybrid' : 'readout' } as PipelineSpec['model'];
  const opts = { ...readoutOptions(model, sp.step_ms), ...overrides } as NonNullable<ReturnType<typeof readoutOptions>>;
  const readouts = new StreamReadouts(opts);
  const acc = new ForecastAccuracy({ stepMs: sp.step_ms, horizons: s.horizons, season: s.season, counts: s.counts });
  const { width, n, H } = meta;
  const perStream = process.env.TC_PER_STREAM === undefined ? undefined : new Map<string, ForecastAccuracy>();
  const rec = new Float32Array(2 * H);
  const delta = new Float64Array(H);
  const half = new Float64Array(H);
  const mean = new Float64Array(H);
  const lower = new Float64Array(H);
  const upper = new Float64Array(H);
  for (let i = 0; i < n; i++) {
    const at = i * width;
    for (let j = 0; j < 2 * H; j++) rec[j] = tr[at + FIXED + j];
    const slot = tr[at];
    const u = tr[at + 2];
    const sd = tr[at + 4];
    const imputed = tr[at + 5] === 1;
    const ok = readouts.step(slot, tr[at + 1], u, tr[at + 3], sd, imputed, tr[at + 6] === 1, rec, 0, delta, half);
    for (let h = 0; h < H; h++) {
      const mu = ok ? u + sd * delta[h] : NaN;
      mean[h] = mu;
      lower[h] = mu - sd * half[h];
      upper[h] = mu + sd * half[h];
    }
    const key = meta.keys[slot];
    acc.actual(key, tr[at + 1], tr[at + 7], imputed);
    if (Number.isFinite(mean[0])) acc.forecast(key, tr[at + 1], mean, lower, upper);
    if (perStream !== undefined) {
      let a = perStream.get(key);
      if (a === undefined)
        perStream.set(key, (a = new ForecastAccuracy({ stepMs: sp.step_ms, horizons: s.horizons, season: s.season, counts: s.counts })));
      a.actual(key, tr[at + 1], tr[at + 7], imputed);
      if (Number.isFinite(mean[0])) a.forecast(key, tr[at + 1], mean, lower, upper);
    }
  }
  if (perStream !== undefined)
    for (const [key, a] of perStream) {
      const b = a.summary()[String(s.horizons[0])];
      console.log(`  ${key} pairs ${b.pairs} mseR ${b.model.mseRatio.toFixed(4)} maeR ${b.model.maeRatio.toFixed(4)}`);
    }
  const scaleOf = s.scale === undefined ? undefined : (key: string) => s.scale?.[key] ?? 1;
  return acc.summary(scaleOf);
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [mode, name, variant] = process.argv.slice(2);
  if (mode === 'record') await record(name);
  else {
    const started = performance.now();
    const overrides = process.env.READOUT_OVERRIDES === undefined ? {} : JSON.parse(process.env.READOUT_OVERRIDES);
    const names = name === 'all' ? ['ETTh2', 'ETTm1', 'WTH', 'weather', 'health', 'stocks'] : name.split(',');
    const variants = (variant ?? 'served').split(',') as ('served' | 'readout')[];
    const f = (x: number | null) => (x === null ? '' : x.toFixed(4));
    for (const nm of names)
      for (const v of variants) {
        const out = await scoreTrace(nm, v, overrides);
        for (const [H, b] of Object.entries(out))
          console.log(
            `${nm.padEnd(7)} H=${H.padEnd(2)} ${v.padEnd(7)} mse ${f(b.model.mse)} mae ${f(b.model.mae)} mseR ${f(b.model.mseRatio)} maeR ${f(b.model.maeRatio)} cov ${f(b.model.coverage95)} | naive mse ${f(b.naive.mse)}`,
          );
      }
    console.error(`${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}
