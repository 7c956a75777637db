import { expect } from 'vitest';
import { ID_HEADER } from '../../connectors/kafka/records.js';
import type { ReadMessage } from './kafka-topics.js';

// Checks on the forecasts topic: dedupe by id (duplicates from redelivery must be identical), then compare.

export interface OutputValues {
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
}

/** One output per id; fails when two copies of the same id differ (a replay must reproduce, not revise). */
export function uniqueOutputs(messages: readonly ReadMessage[]): Map<string, OutputValues> {
  const out = new Map<string, OutputValues>();
  for (const m of messages) {
    const id = m.headers[ID_HEADER];
    expect(id, `message at ${m.partition}/${m.offset} has no ${ID_HEADER}`).toBeDefined();
    const v = JSON.parse(m.value ?? 'null') as { stream: string; mean: number[]; lower: number[]; upper: number[] };
    expect(m.key).toBe(v.stream); // keyed by stream
    const values = { mean: v.mean[0], lower: v.lower[0], upper: v.upper[0] };
    const prev = out.get(id);
    if (prev !== undefined) expect(values, `duplicate ${id} differs`).toEqual(prev);
    out.set(id, values);
  }
  return out;
}

/** Same ids, and values within 1e-6 of the reference. */
export function expectOutputsEqual(actual: Map<string, OutputValues>, expected: Map<string, OutputValues>): void {
  const missing = [...expected.keys()].filter((k) => !actual.has(k));
  const extra = [...actual.keys()].filter((k) => !expected.has(k));
  expect({ missing: missing.slice(0, 5), extra: extra.slice(0, 5), nMissing: missing.length, nExtra: extra.length }).toEqual({
    missing: [],
    extra: [],
    nMissing: 0,
    nExtra: 0,
  });
  let worst = 0;
  for (const [id, e] of expected) {
    const a = actual.get(id)!;
    worst = Math.max(worst, Math.abs(a.mean - e.mean), Math.abs(a.lower - e.lower), Math.abs(a.upper - e.upper));
  }
  expect(worst).toBeLessThan(1e-6);
}
