import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../core/alert-event.js';
import { parsePipelineText } from '../../config/load-pipeline.js';
import { silentLogger } from '../../telemetry/logger.js';
import { Prng } from '../../training/prng.js';
import { replayFile } from './replay.js';

// The end of a replay settles the alert engine (AlertEngine.flush): a group rule's event times that
// some member never reported close only then. Here pump/c's data ends early and pump/a and pump/b
// spike together two steps before the end: their asset alert exists only if the replay flushes.

const HOUR = 3_600_000;
const STEPS = 500;
const SPIKE = STEPS - 3;

function csv(): string {
  const rng = new Prng(7);
  const rows = ['stream,timestamp,value'];
  const keys = ['pump/a', 'pump/b', 'pump/c'];
  for (let i = 0; i < STEPS; i++) {
    keys.forEach((key, k) => {
      if (k === 2 && i >= 450) return; // pump/c stops reporting
      const spike = i === SPIKE && k < 2 ? 60 : 0;
      const v = 20 + 5 * Math.sin((2 * Math.PI * i) / 24 + k) + rng.normal() + spike;
      rows.push(`${key},${new Date(i * HOUR).toISOString()},${v}`);
    });
  }
  return `${rows.join('\n')}\n`;
}

describe('tidecast replay: the end of the data', () => {
  let dir: string;
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('settles the alert engine, so a group step some member never reported still alerts', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-replay-end-'));
    await writeFile(join(dir, 'in.csv'), csv());
    const r = parsePipelineText(
      [
        'name: t',
        `step_ms: ${HOUR}`,
        `sources: [{ kind: file, path: ${join(dir, 'in.csv')}, key_column: stream }]`,
        'model: { cell: gru, layers: 1, units: 4, horizon: 2, seed: 3 }',
        'training: { offline: { steps: 96, epochs: 2 } }',
        'alerting:',
        '  storm_control: { max_per_minute: 1000 }',
        '  rules: [{ name: asset, detector: combined, group_by: prefix, warning: 8 }]',
        `state: { dir: ${join(dir, 'state')} }`,
      ].join('\n'),
      't.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const alerts = join(dir, 'out.alerts.jsonl');
    const summary = await replayFile(r.value.pipelines[0], {
      input: join(dir, 'in.csv'),
      log: silentLogger(),
      output: join(dir, 'out.csv'),
      alerts,
    });
    const events = (await readFile(alerts, 'utf8'))
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AlertEvent);
    const atSpike = events.filter((e) => e.rule === 'asset' && e.state === 'firing' && e.time === SPIKE * HOUR);
    expect(atSpike).toHaveLength(1);
    expect(atSpike[0].stream).toBe('pump');
    expect(atSpike[0].parts?.map((p) => p.name).sort()).toEqual(['pump/a', 'pump/b']);
    expect(summary.alerts?.events).toBe(events.length);
  });
});
