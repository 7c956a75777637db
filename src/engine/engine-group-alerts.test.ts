import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../core/alert-event.js';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { Observation } from '../core/types.js';
import { Prng } from '../training/prng.js';
import { PipelineEngine } from './pipeline-engine.js';

const HOUR = 3_600_000;

// The daemon's and `tidecast replay`'s path: a pipeline file's combined and group rules reach the
// engine's listener with their driver and parts.
describe('engine alert path with combined and group rules', () => {
  it('one asset alert naming the two spiked sensors, and per-stream combined alerts naming the spike part', () => {
    const r = parsePipelineText(
      `name: t
step_ms: ${HOUR}
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, layers: 1, units: 4, horizon: 2, seed: 3 }
alerting:
  storm_control: { max_per_minute: 1000 }
  rules:
    - { name: point, detector: combined, warning: 8 }
    - { name: asset, detector: combined, group_by: prefix, warning: 8 }
state: { dir: var/t }
`,
      't.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const events: AlertEvent[] = [];
    const engine = new PipelineEngine(r.value.pipelines[0], { alert: (e) => events.push(e) });
    const rng = new Prng(7);
    const keys = ['pump1/flow', 'pump1/pressure', 'pump1/temp'];
    const obs: Observation[] = [];
    for (let i = 0; i < 500; i++) {
      keys.forEach((key, k) => {
        const spike = i === 400 && k < 2 ? 60 : 0;
        obs.push({ key, eventTime: i * HOUR, fields: { value: 20 + 5 * Math.sin((2 * Math.PI * i) / 24 + k) + rng.normal() + spike } });
      });
    }
    for (let i = 0; i < obs.length; i += 300) engine.ingest(obs.slice(i, i + 300));
    engine.flush();
    const firing = events.filter((e) => e.state === 'firing' && e.time >= 400 * HOUR);
    const asset = firing.filter((e) => e.rule === 'asset');
    expect(asset).toHaveLength(1);
    expect(asset[0].stream).toBe('pump1');
    expect(asset[0].time).toBe(400 * HOUR);
    expect(asset[0].parts!.map((p) => p.name).sort()).toEqual(['pump1/flow', 'pump1/pressure']);
    const point = firing.filter((e) => e.rule === 'point' && e.time === 400 * HOUR);
    expect(point.map((e) => e.stream).sort()).toEqual(['pump1/flow', 'pump1/pressure']);
    for (const e of point) expect(e.driver).toBe('spike');
  });
});
