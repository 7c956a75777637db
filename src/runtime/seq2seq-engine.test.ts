import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { Forecast, Observation } from '../core/types.js';
import { ModelRunner } from '../engine/model-runner.js';
import { PipelineEngine } from '../engine/pipeline-engine.js';
import { silentLogger } from '../telemetry/logger.js';
import { Prng } from '../training/prng.js';
import type { FitData } from './fit-data.js';
import { offlineFit } from './offline-fit.js';
import { replayFile } from './replay/replay.js';

// model.decoder: seq2seq through the whole serving path: the pipeline file's rules, the engine's
// batched steps (the encoder-decoder's horizon served by the same emitter as the direct head, alone
// or as the recurrent input of the hybrid readouts), checkpoint/restore in the middle of a run, and
// a replay with its offline fit, run twice.

const HOUR = 3_600_000;

function parse(model: string, extra = ''): ReturnType<typeof parsePipelineText> {
  return parsePipelineText(
    `name: s
step_ms: ${HOUR}
ordering: { max_delay_ms: ${HOUR} }
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: ${model}
${extra}
state: { dir: var/state/s }
`,
    's.yaml',
  );
}

function spec(model: string, extra = ''): PipelineSpec {
  const r = parse(model, extra);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

function observations(): Observation[] {
  const rng = new Prng(3);
  const out: Observation[] = [];
  for (let i = 0; i < 240; i++) {
    for (const [k, key] of ['a', 'b', 'c'].entries()) {
      if ((i + k) % 41 === 0) continue;
      const v = 20 + 5 * (k + 1) * Math.sin((2 * Math.PI * i) / 24 + k) + 0.3 * rng.normal();
      out.push({ key, eventTime: i * HOUR + Math.floor(rng.uniform(0, HOUR / 2)), fields: { value: v } });
    }
  }
  out.push({ key: 'b', eventTime: 241 * HOUR, fields: { value: Number.NaN } });
  return out;
}

/** Random weights, so that the forecasts depend on the encoder's window (the init head is zero). */
function randomised(engine: PipelineEngine): PipelineEngine {
  const rng = new Prng(17);
  for (const p of engine.runner.seq2seq!.model.params()) for (let i = 0; i < p.data.length; i++) p.data[i] += rng.uniform(-0.3, 0.3);
  return engine;
}

const byKey = (fs: Forecast[]) =>
  new Map(fs.map((f) => [`${f.key}|${f.t}`, [Array.from(f.mean), Array.from(f.lower), Array.from(f.upper)]]));

describe('model.decoder: seq2seq', () => {
  it('is accepted on one lstm/gru layer and refused where it cannot serve', () => {
    expect(parse('{ cell: gru, units: 8, horizon: 4, decoder: seq2seq, encoder_window_steps: 12 }').ok).toBe(true);
    expect(parse('{ cell: lstm, units: 8, horizon: 4, decoder: seq2seq }').ok).toBe(true);
    const messages = (r: ReturnType<typeof parse>) => (r.ok ? '' : r.issues.map((i) => i.message).join(' | '));
    expect(messages(parse('{ cell: rnn, units: 8, horizon: 4, decoder: seq2seq }'))).toMatch(/lstm or gru/);
    expect(messages(parse('{ cell: gru, layers: 2, units: 8, horizon: 4, decoder: seq2seq }'))).toMatch(/one layer/);
    expect(messages(parse('{ cell: gru, units: 8, horizon: 4, decoder: seq2seq, path: m }'))).toMatch(/no tfjs-layers file/);
    expect(messages(parse('{ cell: gru, units: 8, horizon: 4, decoder: seq2seq }', 'training: { online: { enabled: true } }'))).toMatch(
      /fitted offline only/,
    );
  });

  it("is fitted offline on the engine's fit data (scheduled sampling): the loss falls and the version names the fit", () => {
    const H = 3,
      S = 4,
      N = 160;
    const inputs = new Float32Array(N * S);
    const targets = new Float32Array(N * S * H);
    const v = (k: number, s: number) => Math.sin((2 * Math.PI * k) / 24 + s);
    for (let t = 0; t < N; t++) {
      for (let s = 0; s < S; s++) {
        inputs[t * S + s] = v(t, s);
        for (let h = 1; h <= H; h++) targets[(t * S + s) * H + h - 1] = t + h < N ? v(t + h, s) - v(t, s) : Number.NaN;
      }
    }
    const data: FitData = { steps: N, batch: S, inputs, targets, streams: ['a', 'b', 'c', 'd'], rows: N * S };
    const sp = spec(
      `{ cell: gru, units: 8, horizon: ${H}, seed: 1, decoder: seq2seq, encoder_window_steps: 12 }`,
      'training: { offline: { max_batches: 40, tbptt_steps: 32, learning_rate: 0.01 } }',
    );
    const runner = new ModelRunner(sp.model, 1);
    const report = offlineFit(sp, runner, data);
    expect(report.method).toBe('seq2seq');
    expect(report.batches).toBe(40 * 5);
    expect(report.finalLoss).toBeLessThan(report.initialLoss - 0.5);
    expect(runner.version).toMatch(/^seq2seq-gru-fit-/);
  });

  describe.each(['recurrent', 'hybrid'])('served as %s', (forecaster) => {
    const s = spec(`{ cell: gru, units: 6, horizon: 4, seed: 2, decoder: seq2seq, encoder_window_steps: 10, forecaster: ${forecaster} }`);

    it('gives the same forecasts whatever the batching, and after a checkpoint/restore in the middle', () => {
      const obs = observations();
      const whole: Forecast[] = [];
      const first = randomised(new PipelineEngine(s, { forecast: (f) => whole.push(f) }));
      expect(first.runner.engine).toBe('seq2seq');
      expect(first.runner.version).toBe('seq2seq-gru-init-s2');
      first.ingest(obs);
      const weights = JSON.parse(JSON.stringify(first.runner.exportWeights()));

      const split: Forecast[] = [];
      const small = { ...s, batching: { ...s.batching, max_batch: 2 } };
      let engine = new PipelineEngine(small, { forecast: (f) => split.push(f) });
      engine.runner.importWeights(weights);
      const rng = new Prng(8);
      let restored = false;
      for (let i = 0; i < obs.length; ) {
        const n = 1 + Math.floor(rng.uniform(0, 30));
        engine.ingest(obs.slice(i, i + n));
        i += n;
        if (!restored && i > obs.length / 2) {
          // Through JSON, as the checkpoint file does: the windows in the state rows, the weights.
          const snap = JSON.parse(JSON.stringify(engine.snapshot()));
          const w = JSON.parse(JSON.stringify(engine.runner.exportWeights()));
          engine = new PipelineEngine(small, { forecast: (f) => split.push(f) });
          engine.runner.importWeights(w);
          expect(engine.restore(snap)).toEqual([]);
          restored = true;
        }
      }
      expect(whole.length).toBeGreaterThan(600);
      expect(byKey(split)).toEqual(byKey(whole));
      // The encoder-decoder shapes what is served: not a flat (persistence) horizon.
      const last = whole.filter((f) => f.key === 'a').at(-1)!;
      expect(new Set(Array.from(last.mean)).size).toBe(4);
    });
  });

  it('a seq2seq forecast differs from the direct head on the same data (it is what serves)', () => {
    const a: Forecast[] = [];
    const b: Forecast[] = [];
    randomised(
      new PipelineEngine(spec('{ cell: gru, units: 6, horizon: 4, decoder: seq2seq, forecaster: recurrent }'), {
        forecast: (f) => a.push(f),
      }),
    ).ingest(observations());
    new PipelineEngine(spec('{ cell: gru, units: 6, horizon: 4, forecaster: recurrent }'), { forecast: (f) => b.push(f) }).ingest(
      observations(),
    );
    expect(a.length).toBe(b.length);
    expect(byKey(a)).not.toEqual(byKey(b));
  });
});

describe('replay with model.decoder: seq2seq', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-s2s-'));
    const lines = ['stream,timestamp,value'];
    for (const o of observations())
      if (Number.isFinite(o.fields.value))
        lines.push(`${o.key},${new Date(Date.UTC(2024, 0, 1) + o.eventTime).toISOString()},${o.fields.value}`);
    await writeFile(join(dir, 'in.csv'), `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('fits the encoder-decoder offline and writes byte-identical output on a second run', async () => {
    const s = spec(
      '{ cell: lstm, units: 6, horizon: 3, seed: 4, decoder: seq2seq, encoder_window_steps: 12 }',
      'training: { offline: { steps: 120, max_batches: 4, tbptt_steps: 30, max_streams: 8 } }',
    );
    const out = [join(dir, 'one.csv'), join(dir, 'two.csv')];
    for (const o of out) await replayFile(s, { input: join(dir, 'in.csv'), output: o, log: silentLogger() });
    const [one, two] = await Promise.all(out.map((o) => readFile(o, 'utf8')));
    expect(one.split('\n').length).toBeGreaterThan(500);
    expect(two).toBe(one);
  });
});
