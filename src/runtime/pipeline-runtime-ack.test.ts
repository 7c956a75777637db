import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { BatchOutputs, IngestBatch, OutputSink, RuntimeSource } from '../core/ports.js';
import type { Observation } from '../core/types.js';
import { createLogger } from '../telemetry/logger.js';
import { PipelineRuntime } from './pipeline-runtime.js';

// The daemon's composed pipeline keeps the ports' contract: a source is not read ahead while a
// batch is in the engine or the sinks (back-pressure), a batch is acknowledged only after every
// sink wrote and flushed its outputs, positions follow the acknowledged batches, a failed write is
// redelivered through retry(), and the sources' end closes every stream's last step.

const HOUR = 3_600_000;
const root = await mkdtemp(join(tmpdir(), 'tidecast-runtime-ack-'));
afterAll(() => rm(root, { recursive: true, force: true }));
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 3));

describe('PipelineRuntime acknowledgement and back-pressure', () => {
  it('pulls, writes, flushes and acknowledges one batch at a time; redelivers a failed one', async () => {
    const r = parsePipelineText(
      `name: ack
step_ms: ${HOUR}
ordering: { max_delay_ms: 0, allowed_lateness_ms: 0 }
sources: [{ kind: file, path: ${root}/none.csv, key_column: stream }]
sinks: [{ kind: file, forecasts_path: ${root}/f.jsonl }]
model: { cell: gru, units: 4, horizon: 1, seed: 1 }
state: { dir: ${root}/state }
`,
      'ack.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const rt = new PipelineRuntime(r.value.pipelines[0], { log: createLogger({ level: 'silent' }), paced: false });
    const log: string[] = [];
    let failOnce = true;
    const rows = (from: number, n: number): Observation[] =>
      Array.from({ length: n }, (_, i) => ({ key: 'a', eventTime: (from + i) * HOUR, fields: { value: Math.sin(from + i) } }));
    const source: RuntimeSource = {
      kind: 'test',
      name: 's',
      async *batches() {
        for (let b = 1; b <= 3; b++) {
          log.push(`pull ${b}`);
          const batch: IngestBatch = {
            observations: rows((b - 1) * 10, 10),
            deadLetters: [],
            position: b * 10,
            ack: async () => {
              await tick();
              log.push(`ack ${b}`);
            },
            retry: async () => {
              log.push(`retry ${b}`);
            },
          };
          yield batch;
        }
      },
      healthcheck: async () => ({ status: 'ok' }),
      close: async () => {},
    };
    const written: number[] = [];
    const sink: OutputSink = {
      kind: 'test',
      async write(out: BatchOutputs) {
        await tick();
        if (out.forecasts.length > 0 && failOnce && written.length === 1) {
          failOnce = false;
          log.push('write failed');
          throw new Error('sink down');
        }
        written.push(out.forecasts.length);
        log.push(`write ${out.forecasts.length}`);
      },
      async flush(durable: boolean) {
        await tick();
        log.push(`flush ${durable}`);
      },
      close: async () => {},
    };
    (rt.sources as RuntimeSource[])[0] = source;
    (rt.sinks as OutputSink[])[0] = sink;
    await rt.start();
    // Batch 1: 10 steps, 9 one-step forecasts (the last step waits for the next record); later batches close 10 each.
    expect(log).toEqual([
      'pull 1',
      'write 9',
      'flush false',
      'ack 1',
      'pull 2',
      'write failed',
      'retry 2',
      'pull 3',
      'write 10',
      'flush false',
      'ack 3',
      'write 1',
      'flush false', // the sources ended: the last step of the stream closed and forecast
    ]);
    expect(rt.positions.s).toBe(30);
    await rt.stop();
  });
});
