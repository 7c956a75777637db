import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { PipelineRuntime } from './pipeline-runtime.js';

// tidecast_forecasts_total counts every forecast the sinks get: those of source batches and those
// made outside them (the last steps closed when every source ended, HTTP ingest).

const MIN = 60_000;
const root = await mkdtemp(join(tmpdir(), 'tidecast-forecast-count-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('tidecast_forecasts_total', () => {
  it('equals the forecasts written, the end-of-data steps included', async () => {
    const rows = ['stream,timestamp,value'];
    for (let k = 0; k < 6; k++) for (let s = 0; s < 3; s++) rows.push(`s${s},${new Date(k * MIN).toISOString()},${k + s}`);
    await writeFile(join(root, 'in.csv'), `${rows.join('\n')}\n`);
    const r = parsePipelineText(
      `name: c
step_ms: ${MIN}
sources: [{ kind: file, path: ${root}/in.csv, key_column: stream }]
sinks: [{ kind: file, forecasts_path: ${root}/f.jsonl }]
model: { cell: gru, units: 4, horizon: 2, seed: 1 }
state: { dir: ${root}/state }
`,
      'c.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const metrics = createMetrics();
    const rt = new PipelineRuntime(r.value.pipelines[0], { log: createLogger({ level: 'silent' }), metrics, paced: false });
    await rt.start();
    await rt.stop();
    const written = (await readFile(join(root, 'f.jsonl'), 'utf8')).trim().split('\n').length;
    expect(written).toBe(18); // every step of every stream, the last ones closed at the end of data
    const counted = (await metrics.registry.getSingleMetric('tidecast_forecasts_total')?.get())?.values.reduce((a, v) => a + v.value, 0);
    expect(counted).toBe(written);
  });
});
