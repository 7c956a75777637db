import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../core/types.js';
import { testContext } from './context.js';
import { cloneStep, type FeatureStep } from './feature-step.js';
import { shapeBatches } from './shape-batches.js';
import { StreamProcessor } from './stream-processor.js';

const options = { step_ms: 1000, fields: [{ name: 'value' }], features: { lags: [1, 2], rolling_windows: [3] } };

function records(): Observation[] {
  const out: Observation[] = [];
  for (let i = 0; i < 60; i++) {
    for (const k of ['a', 'b', 'c'])
      if ((i + k.charCodeAt(0)) % 7 !== 0) out.push({ key: k, eventTime: i * 1000, fields: { value: Math.sin(i + k.charCodeAt(0)) } });
  }
  out.push({ key: 'a', eventTime: NaN, fields: { value: 1 } }); // dead-lettered either way
  return out;
}

describe('shapeBatches', () => {
  it('emits the steps, in order, that pushing each record to a processor emits', () => {
    const recs = records();
    const direct: FeatureStep[] = [];
    const p = new StreamProcessor(options, testContext());
    for (const o of recs) p.push(o, (s) => direct.push(cloneStep(s)));

    const composed: FeatureStep[] = [];
    const ctx = testContext();
    const q = new StreamProcessor(options, ctx);
    const batches = [recs.slice(0, 50), recs.slice(50, 51), recs.slice(51)].map((observations) => ({ observations }));
    const passed: unknown[] = [];
    from(batches)
      .pipe(shapeBatches(q, (s) => composed.push(cloneStep(s))))
      .subscribe((b) => passed.push(b));

    expect(passed).toEqual(batches);
    expect(composed.length).toBeGreaterThan(100);
    expect(composed).toEqual(direct);
    expect(ctx.deadLetters.map((d) => d.code)).toEqual(['non_finite']);
  });
});
