// bench:seq2seq-served (issue 13 item 2): the encoder-decoder served by the engine (model.decoder:
// seq2seq) beside the direct head, both alone (model.forecaster: recurrent), on a pipeline file's
// replay (default pipelines/etth2.yaml over ETTh2: 7 hourly columns; the online head and online
// retraining off, which seq2seq does not take). Score: MSE in data units of the served one-step
// forecasts after the offline fit's window (training.offline.steps per stream), pooled over the
// streams, and the replay's wall time. The fit budget is the pipeline's, except training.offline.
// max_batches (`--batches`, default 8: the seq2seq fit makes max_batches × ⌈steps / tbptt_steps⌉
// updates) and the encoder's window (`--window`, default 24).
// `npm run bench:seq2seq-served [-- --json] [-- --pipeline FILE --input CSV] [-- --batches N] [-- --window W]`
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { parsePipelineText } from '../src/config/load-pipeline.js';
import { replayFile } from '../src/runtime/replay/replay.js';
import { silentLogger } from '../src/telemetry/logger.js';

const args = process.argv.slice(2);
const at = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const root = resolve(new URL('..', import.meta.url).pathname);
const file = at('--pipeline') ?? join(root, 'pipelines/etth2.yaml');
const input = at('--input') ?? resolve(root, '../shared/data/ETTh2.csv');
const batches = Number(at('--batches') ?? 8);
const window = Number(at('--window') ?? 24);

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'tidecast-s2s-'));
  const result: Record<string, { mse: number; scored: number; seconds: number }> = {};
  for (const decoder of ['direct', 'seq2seq']) {
    const raw = parse(await readFile(file, 'utf8'));
    delete raw.model.online_head;
    raw.sinks = [];
    Object.assign(raw.model, { decoder, forecaster: 'recurrent' }, decoder === 'seq2seq' ? { encoder_window_steps: window } : {});
    raw.training = {
      ...raw.training,
      online: { enabled: false },
      offline: { ...raw.training?.offline, max_batches: batches, max_time_ms: 3_600_000 },
    };
    const r = parsePipelineText(stringify(raw), file);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const spec = r.value.pipelines[0];
    const output = join(tmp, `${decoder}.csv`);
    const t0 = performance.now();
    await replayFile(spec, { input, output, log: silentLogger() });
    const seconds = (performance.now() - t0) / 1000;
    const lines = (await readFile(output, 'utf8')).trim().split('\n');
    const head = lines[0].split(',');
    const [ka, kf, ks] = ['actual', 'forecast', 'stream'].map((c) => head.indexOf(c));
    const seen = new Map<string, number>();
    let se = 0,
      n = 0;
    for (const line of lines.slice(1)) {
      const f = line.split(',');
      const c = (seen.get(f[ks]) ?? 0) + 1;
      seen.set(f[ks], c);
      if (c <= spec.training.offline.steps || f[kf] === '' || f[ka] === '') continue;
      se += (Number(f[ka]) - Number(f[kf])) ** 2;
      n++;
    }
    result[decoder] = { mse: se / n, scored: n, seconds };
  }
  await rm(tmp, { recursive: true, force: true });
  if (args.includes('--json')) {
    console.log(JSON.stringify({ pipeline: file, batches, window, ...result }));
    return;
  }
  console.log(`\nServed one-step forecasts after the fit window (${file}, forecaster recurrent, max_batches ${batches}, window ${window})`);
  console.log('| decoder | scored | MSE | replay s |\n|---|---|---|---|');
  for (const [d, r] of Object.entries(result)) console.log(`| ${d} | ${r.scored} | ${r.mse.toFixed(4)} | ${r.seconds.toFixed(1)} |`);
}

await main();
