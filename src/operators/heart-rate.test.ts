import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../core/types.js';
import { testContext } from './context.js';
import type { FeatureStep } from './feature-step.js';
import type { PipelineDataOptionsInput } from './options.js';
import { RecordParser } from './parse.js';
import { StreamProcessor } from './stream-processor.js';

// Real data: Fitbit heart rate, irregular samples 1-15 s apart with gaps of minutes to hours
// (/work/shared/data/README.md). Resampled to a regular grid, every step between a stream's first
// and last sample must be accounted for: observed, imputed, or inside a gap that broke the stream.
// The fixture is users 2022484408 and 4020332650 on 2016-04-12 06:00-09:00 (5 236 rows), cut from
// ../shared/data/health/fitbit_heartrate.csv.

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = resolve(here, '../../test/fixtures/fitbit_heartrate_slice.csv');
const FULL = resolve(here, '../../../shared/data/health/fitbit_heartrate.csv');

interface Account {
  steps: number;
  observed: number;
  imputed: number;
  brokenGapSteps: number;
  first: number;
  last: number;
  samples: Set<number>;
}

function resampleFile(path: string, stepMs: number, maxGapSteps: number) {
  const opts: PipelineDataOptionsInput = {
    step_ms: stepMs,
    impute: { method: 'linear', max_gap_steps: maxGapSteps },
    features: { lags: [1, 2, 3], rolling_windows: [6, 12] },
  };
  const ctx = testContext();
  const parser = new RecordParser(opts);
  const p = new StreamProcessor(opts, ctx);
  const acc = new Map<string, Account>();
  const prevT = new Map<string, number>();
  const emit = (s: FeatureStep): void => {
    const a = acc.get(s.key) as Account;
    a.steps++;
    if (s.imputed[0]) a.imputed++;
    else a.observed++;
    const prev = prevT.get(s.key);
    if (prev !== undefined) {
      const gap = (s.t - prev) / stepMs;
      if (s.broken) a.brokenGapSteps += gap - 1;
      else if (gap !== 1) throw new Error(`${s.key}: step ${s.t} follows ${prev} without a broken mark`);
    }
    if (!s.x.every(Number.isFinite)) throw new Error(`${s.key}: non-finite feature at ${s.t}`);
    prevT.set(s.key, s.t);
  };
  const onObs = (o: Observation): void => {
    let a = acc.get(o.key);
    if (a === undefined)
      acc.set(o.key, (a = { steps: 0, observed: 0, imputed: 0, brokenGapSteps: 0, first: Infinity, last: -Infinity, samples: new Set() }));
    const b = Math.floor(o.eventTime / stepMs) * stepMs;
    a.first = Math.min(a.first, b);
    a.last = Math.max(a.last, b);
    a.samples.add(b);
    p.push(o, emit);
  };
  const lines = readFileSync(path, 'utf8').split('\n');
  const origin = { connector: 'file', partition: 0, offset: '0' };
  const deadParse: unknown[] = [];
  for (const line of lines) {
    if (line === '') continue;
    parser.parse({ format: 'csv', payload: line, origin }, { observation: onObs, deadLetter: (d) => deadParse.push(d) });
  }
  p.flush(emit);
  p.reportMetrics();
  return { acc, ctx, deadParse, rows: lines.filter((l) => l !== '').length - 1 };
}

function expectAllAccounted(r: ReturnType<typeof resampleFile>, stepMs: number): void {
  expect(r.deadParse).toEqual([]);
  expect(r.ctx.deadLetters).toEqual([]);
  let imputed = 0;
  let broken = 0;
  for (const [, a] of r.acc) {
    const span = (a.last - a.first) / stepMs + 1;
    expect(a.observed).toBe(a.samples.size);
    expect(a.steps + a.brokenGapSteps).toBe(span);
    imputed += a.imputed;
    broken += a.brokenGapSteps;
  }
  expect(r.ctx.metrics.get('imputed_steps')).toBe(imputed);
  expect(r.ctx.metrics.get('broken_gap_steps')).toBe(broken);
  expect(r.ctx.metrics.get('received')).toBe(r.rows);
}

describe('Fitbit heart rate resampled to a regular grid', () => {
  it('fixture slice at 1 s: every second observed, imputed or in a broken gap', () => {
    const r = resampleFile(FIXTURE, 1000, 30);
    expectAllAccounted(r, 1000);
    expect([...r.acc.keys()].sort()).toEqual(['2022484408', '4020332650']);
    const sparse = r.acc.get('2022484408') as Account;
    // This user has three gaps longer than 30 s in the slice (40 s, 40 s and 300 s).
    expect(r.ctx.metrics.get('broken_gaps')).toBe(3);
    expect(sparse.brokenGapSteps).toBe(39 + 39 + 299);
    expect(sparse.imputed).toBeGreaterThan(0);
  });

  it.skipIf(!existsSync(FULL))(`whole file at 5 s (skipped when ${FULL} is absent)`, () => {
    const r = resampleFile(FULL, 5000, 12);
    expectAllAccounted(r, 5000);
    expect(r.acc.size).toBe(8);
    expect(r.rows).toBe(307_512);
    // The README counts 92 gaps over 10 min: each of them must have broken its stream.
    expect(r.ctx.metrics.get('broken_gaps')).toBeGreaterThanOrEqual(92);
  });
});

if (!existsSync(FULL)) console.warn(`heart-rate.test: ${FULL} not found (../shared absent); only the fixture slice is tested.`);
