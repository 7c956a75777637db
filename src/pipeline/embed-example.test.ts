import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runEmbedded } from '../../examples/embed.js';
import { loadPipelineFiles } from '../config/load-pipeline.js';
import { PipelineRuntime } from '../runtime/pipeline-runtime.js';
import { silentLogger } from '../telemetry/logger.js';

// The README's embedding example (examples/embed.ts) against the daemon's runtime on the same
// pipeline file and records: the forecasts, alerts and dead letters they write are byte-identical.

const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);

function csv(): string {
  const rows = ['stream,timestamp,value'];
  for (let i = 0; i < 400; i++) {
    const t = new Date(START + i * HOUR).toISOString();
    rows.push(`a,${t},${10 + 3 * Math.sin(i / 4) + (i === 300 ? 25 : 0)}`);
    if (i % 9 !== 4) rows.push(`b,${t},${50 + 10 * Math.cos(i / 6) + (i % 5)}`); // gaps: imputed steps
    if (i % 97 === 0) rows.push(`c,${t},not-a-number`); // dead letters
  }
  return `${rows.join('\n')}\n`;
}

function pipelineYaml(dir: string, out: string): string {
  return [
    'name: embed',
    'step_ms: 3600000',
    'fields: [{ name: value, aggregation: last }]',
    `sources: [{ kind: file, name: f, path: ${join(dir, 'in.csv')}, key_column: stream }]`,
    `sinks: [{ kind: file, forecasts_path: ${join(dir, out, 'forecasts.jsonl')}, alerts_path: ${join(dir, out, 'alerts.jsonl')}, dead_letters_path: ${join(dir, out, 'dead.jsonl')} }]`,
    'model: { cell: gru, units: 4, horizon: 3 }',
    'training: { offline: { steps: 96, epochs: 2 } }',
    'alerting: { rules: [{ name: spike, detector: score, streams: "*", warning: 0.9, critical: 0.99, for: 1 }] }',
    `state: { dir: ${join(dir, out, 'state')} }`,
  ].join('\n');
}

describe('examples/embed.ts', () => {
  let dir: string;
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('writes what the daemon writes for the same pipeline file and records, byte for byte', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-embed-'));
    await writeFile(join(dir, 'in.csv'), csv());
    await writeFile(join(dir, 'daemon.yaml'), pipelineYaml(dir, 'daemon'));
    await writeFile(join(dir, 'embed.yaml'), pipelineYaml(dir, 'embed'));

    const [
      {
        pipelines: [spec],
      },
    ] = await loadPipelineFiles([join(dir, 'daemon.yaml')]);
    const runtime = new PipelineRuntime(spec, { log: silentLogger(), paced: false });
    await runtime.prepareModel();
    await runtime.start();
    await runtime.stop();

    const run = await runEmbedded(join(dir, 'embed.yaml'));
    for (const f of ['forecasts.jsonl', 'alerts.jsonl', 'dead.jsonl']) {
      const daemon = await readFile(join(dir, 'daemon', f), 'utf8');
      const embedded = await readFile(join(dir, 'embed', f), 'utf8');
      expect(embedded.length, f).toBeGreaterThan(0);
      expect(embedded, f).toBe(daemon);
    }
    const lines = (await readFile(join(dir, 'embed', 'forecasts.jsonl'), 'utf8')).trim().split('\n');
    expect(run.forecasts).toBe(lines.length);
    expect(run.deadLetters).toBeGreaterThan(0);
    expect(run.alerts).toBeGreaterThan(0);
  });
});
