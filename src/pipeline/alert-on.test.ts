import { lastValueFrom, type MonoTypeOperatorFunction, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { AlertEvent } from '../core/alert-event.js';
import type { Observation } from '../core/types.js';
import type { StepRow } from '../engine/engine-listener.js';
import { Prng } from '../training/prng.js';
import { alertOn } from './alert-on.js';
import { commit } from './commit.js';
import { createEngine } from './create-engine.js';
import { endOfData, features, forecast, intake } from './engine-stages.js';
import { fromObservations } from './from-source.js';
import type { PipelineBatch } from './pipeline-batch.js';

// alertOn(rules) as its own operator: intake -> features -> forecast -> alertOn gives the alerts
// and scored step rows that engine.ingest (the stages in one call) gives, also when the composed
// engine is checkpointed and restored in the middle; forecast without alertOn raises no alerts.

const HOUR = 3_600_000;

function spec(): PipelineSpec {
  const r = parsePipelineText(
    `name: t
step_ms: ${HOUR}
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, units: 4, horizon: 3, seed: 3 }
alerting: { rules: [{ name: spike, detector: score, warning: 0.99, critical: 0.999, for: 1 }] }
state: { dir: var/t }
`,
    't.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

function observations(): Observation[] {
  const rng = new Prng(11);
  const out: Observation[] = [];
  for (let i = 0; i < 400; i++) {
    for (const [k, key] of ['a', 'b'].entries()) {
      if (k === 1 && i % 17 === 5) continue; // imputed steps
      const spike = (i === 250 || i === 330) && k === 0 ? 40 : 0;
      out.push({ key, eventTime: i * HOUR, fields: { value: 20 + 5 * Math.sin(i / 6 + k) + rng.normal() + spike } });
    }
  }
  return out;
}

interface Heard {
  alerts: AlertEvent[];
  rows: [string, number, number][];
}

function hearing(): Heard & { listener: { alert(a: AlertEvent): void; step(r: StepRow): void } } {
  const h: Heard = { alerts: [], rows: [] };
  return { ...h, listener: { alert: (a) => h.alerts.push(a), step: (r) => h.rows.push([r.key, r.t, r.score]) } };
}

/** A non-zero head, so that forecasts depend on the recurrent state (the initial head is zero). */
function randomHead(engine: ReturnType<typeof createEngine>['engine']): void {
  const rng = new Prng(99);
  const k = engine.runner.model.headKernel.data;
  for (let i = 0; i < k.length; i++) k[i] = rng.uniform(-0.5, 0.5);
}

describe('alertOn', () => {
  it('scores what engine.ingest scores, across a checkpoint restore, and adds the alerts to each batch', async () => {
    const obs = observations();
    const direct = hearing();
    const d = createEngine(spec(), direct.listener);
    randomHead(d.engine);
    for (let i = 0; i < obs.length; i += 40) d.engine.ingest(obs.slice(i, i + 40));
    d.engine.flush();
    const directOut = d.outputs.take();
    expect(direct.alerts.length).toBeGreaterThan(0);
    expect(direct.alerts.some((a) => a.time === 250 * HOUR && a.stream === 'a' && a.state === 'firing')).toBe(true);

    // The composed run, its engine checkpointed after the first half and a fresh one restored.
    const composed = hearing();
    const first = createEngine(spec(), composed.listener);
    randomHead(first.engine);
    const half = 40 * Math.floor(obs.length / 80); // a batch boundary of the direct run: the same batches
    const stages =
      (c: typeof first): MonoTypeOperatorFunction<PipelineBatch> =>
      (b$) =>
        b$.pipe(intake(c.engine), features(c.engine), forecast(c.engine, c.outputs));
    const a = await lastValueFrom(
      fromObservations('s', obs.slice(0, half), 40).pipe(stages(first), alertOn(first.engine.alerting, first.outputs), commit(), toArray()),
    );
    const snap = JSON.parse(JSON.stringify(first.engine.snapshot()));
    const second = createEngine(spec(), composed.listener);
    randomHead(second.engine);
    expect(second.engine.restore(snap)).toEqual([]);
    const b = await lastValueFrom(
      fromObservations('s', obs.slice(half), 40).pipe(
        stages(second),
        endOfData(second.engine, second.outputs),
        alertOn(second.engine.alerting, second.outputs),
        commit(),
        toArray(),
      ),
    );
    expect(JSON.stringify(composed.alerts)).toBe(JSON.stringify(direct.alerts));
    expect(composed.rows).toEqual(direct.rows);
    const batchAlerts = [...a, ...b].flatMap((x) => x.outputs.alerts);
    expect(JSON.stringify(batchAlerts)).toBe(JSON.stringify(directOut.alerts));
    expect([...a, ...b].reduce((n, x) => n + x.outputs.forecasts.length, 0)).toBe(directOut.forecasts.length);
    expect(b.at(-1)?.endOfData).toBe(true);
  });

  it('forecasts the same without alertOn, and raises no alerts nor step rows', async () => {
    const obs = observations();
    const withRules = hearing();
    const w = createEngine(spec(), withRules.listener);
    const without = hearing();
    const n = createEngine(spec(), without.listener);
    const run = (c: typeof w, rules: boolean) =>
      lastValueFrom(
        fromObservations('s', obs, 40).pipe(
          intake(c.engine),
          features(c.engine),
          forecast(c.engine, c.outputs),
          endOfData(c.engine, c.outputs),
          rules ? alertOn(c.engine.alerting, c.outputs) : (x) => x,
          commit(), // releases each batch: the source pulls the next
          toArray(),
        ),
      );
    const fw = (await run(w, true)).flatMap((b) => b.outputs.forecasts.map((f) => [f.key, f.t, Array.from(f.mean)]));
    const fn = (await run(n, false)).flatMap((b) => b.outputs.forecasts.map((f) => [f.key, f.t, Array.from(f.mean)]));
    expect(fn).toEqual(fw);
    expect(withRules.alerts.length).toBeGreaterThan(0);
    expect(without.alerts).toEqual([]);
    expect(without.rows).toEqual([]);
  });
});
