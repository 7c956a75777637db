import { rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineFiles } from '../config/load-pipeline.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { checkpointPath } from '../state/checkpoint.js';
import { startDaemon } from './daemon.js';

// A checkpoint that cannot be written is never silent: /readyz says so (503), /metrics shows
// tidecast_checkpoint_failing 1, the write is retried (and recovers once the disk lets it), and a
// stop whose final checkpoint failed ends with exit code 1.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-cpfail-'));
  const rows = ['stream,timestamp,value'];
  for (let i = 0; i < 20; i++) rows.push(`a,${i * 60_000},${Math.sin(i)}`, `b,${i * 60_000},${Math.cos(i)}`);
  await writeFile(join(dir, 'in.csv'), `${rows.join('\n')}\n`);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function pipelineFile(name: string, stateDir: string): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    [
      `name: ${name}`,
      'step_ms: 60000',
      `sources: [{ kind: file, name: f, path: ${join(dir, 'in.csv')}, key_column: stream, replay: { speedup: 100000000 } }]`,
      'model: { cell: gru, units: 4, horizon: 2 }',
      'training: { offline: { enabled: false } }',
      `state: { dir: ${stateDir}, checkpoint_interval_ms: 100 }`,
    ].join('\n'),
  );
  return file;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const failingGauge = (text: string, p: string): string | undefined =>
  text.match(new RegExp(`^tidecast_checkpoint_failing\\{pipeline="${p}"\\} (\\d)`, 'm'))?.[1];

describe('a checkpoint that cannot be written', () => {
  it('is reported by /readyz and /metrics, retried until it succeeds, and the final one decides the exit code', async () => {
    // A folder where the checkpoint's temp file goes (the first write is a base): every write fails,
    // even as root, until it is removed.
    const stateDir = join(dir, 'state');
    const files = await loadPipelineFiles([await pipelineFile('blocked', stateDir)]);
    const blocker = `${checkpointPath(files[0].pipelines[0])}.tmp-${process.pid}`;
    await mkdir(blocker, { recursive: true });
    const daemon = await startDaemon({ files, log: createLogger({ level: 'silent' }), metrics: createMetrics(), port: 0 });
    try {
      const ready = await waitFor('/readyz to report the failing checkpoint', async () => {
        const r = await fetch(`${daemon.http.url}/readyz`);
        const body = (await r.json()) as { details: { blocked: { checkpoint: { status: string; failures?: number; error?: string } } } };
        return r.status === 503 && body.details.blocked.checkpoint.status === 'failing' ? body : undefined;
      });
      expect(ready.details.blocked.checkpoint.error).toMatch(/EISDIR|directory/i);
      expect(failingGauge(await (await fetch(`${daemon.http.url}/metrics`)).text(), 'blocked')).toBe('1');
      // Retried: the failure count grows, and a writable path ends it.
      await waitFor('a retry', async () => ((daemon.runtimes[0].checkpointFailure?.failures ?? 0) >= 2 ? true : undefined));
      await rm(blocker, { recursive: true });
      await waitFor('/readyz to be ready again', async () =>
        (await fetch(`${daemon.http.url}/readyz`)).status === 200 ? true : undefined,
      );
      expect(failingGauge(await (await fetch(`${daemon.http.url}/metrics`)).text(), 'blocked')).toBe('0');
      // The final checkpoint fails too: the state directory becomes a file (sync calls: no write comes between).
      rmSync(stateDir, { recursive: true, force: true });
      writeFileSync(stateDir, 'not a directory');
    } finally {
      await daemon.stop('test');
      await rm(stateDir, { recursive: true, force: true });
    }
    expect(daemon.runtimes[0].finalCheckpointFailed).toBe(true);
    expect(daemon.exitCode).toBe(1);
  }, 30_000);

  it('a stop whose final checkpoint is written exits 0', async () => {
    const files = await loadPipelineFiles([await pipelineFile('good', join(dir, 'good-state'))]);
    const good = await startDaemon({ files, log: createLogger({ level: 'silent' }), metrics: createMetrics(), port: 0 });
    await good.stop('test');
    expect(good.runtimes[0].checkpointFailure).toBeUndefined();
    expect(good.exitCode).toBe(0);
  }, 30_000);
});
