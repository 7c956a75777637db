import { describe, expect, it } from 'vitest';
import { PipelineSpec } from '../../config/pipeline-schema.js';
import type { StepRow } from '../../engine/engine-listener.js';
import { nothingWrittenReason, UnscoredTally } from './replay-unscored.js';

const spec = PipelineSpec.parse({
  name: 'p',
  step_ms: 60_000,
  impute: { max_gap_steps: 5 },
  sources: [{ kind: 'file', path: 'x.csv', key_column: 'stream' }],
  model: { cell: 'gru', units: 4, horizon: 2 },
  state: { dir: 'var/state/p' },
});
const row = (key: string, score: number, imputed = false): StepRow =>
  ({ pipeline: 'p', key, t: 0, actual: 1, imputed, forecast: 1, lower: 0, upper: 2, score }) as StepRow;

describe('UnscoredTally', () => {
  it('counts each unscored step under its reason: fit window, imputed, warm-up, stream start, restart', () => {
    const t = new UnscoredTally();
    t.setFitWindow(3, ['a']);
    // a: steps 1..6; step 1 has no row (start), 2..3 in the fit window (one imputed), 4 warm-up, 5 scored,
    // 6 a restart after a gap (no row).
    t.step('a');
    for (const [score, imputed] of [
      [NaN, false],
      [NaN, true],
      [NaN, false],
      [0.5, false],
    ] as const) {
      t.step('a');
      t.row(row('a', score, imputed));
    }
    t.step('a');
    // b is not among the fitted streams: its unscored rows are warm-up.
    t.step('b');
    t.step('b');
    t.row(row('b', NaN));
    expect(t.scored).toBe(1);
    expect(t.result()).toEqual({ fit: 1, imputed: 1, warmup: 2, start: 2, restart: 1 });
  });
});

describe('nothingWrittenReason', () => {
  const facts = { rows: 100, observations: 100, deadLetters: {}, steps: 100, streams: 1, spacingMs: 3_600_000 };
  it('names the likely cause', () => {
    expect(nothingWrittenReason(spec, { ...facts, rows: 0 })).toBe('the input has no data rows');
    expect(nothingWrittenReason(spec, { ...facts, observations: 0, deadLetters: { parse_error: 100 } })).toContain(
      '100 dead-lettered: parse_error: 100',
    );
    expect(nothingWrittenReason(spec, facts)).toContain(
      "step_ms is far smaller than the data's spacing. The data's timestamps are about 1h apart, step_ms is 1m.",
    );
    expect(nothingWrittenReason(spec, { ...facts, steps: 1, spacingMs: 1_000 })).toContain('single grid step');
    expect(nothingWrittenReason(spec, { ...facts, steps: 0 })).toContain('no grid step was closed');
  });
});
