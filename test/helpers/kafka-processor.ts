import type { DeadLetter, Forecast, RawRecord } from '../../src/core/types.js';

// A small deterministic stateful per-stream processor standing in for the engine in Kafka tests. Every output
// depends on the stream's whole history (a count, a running sum and an exponential average), so a lost, doubled
// or reordered event, or state that was not carried across a crash, changes the outputs.

export interface TestEvent {
  readonly key: string;
  readonly t: number;
  readonly v: number;
}

export interface StreamState {
  count: number;
  sum: number;
  ema: number;
  lastT: number;
  /** Input offset of the last event included; a replay skips events at or before it. */
  lastOffset: number;
  partition: number;
}

export const PIPELINE = 'kafka-test';
export const MODEL_VERSION = 'v1';
const ALPHA = 0.3;

export function encodeEvent(e: TestEvent): string {
  return JSON.stringify({ t: e.t, v: e.v });
}

/** The record's event, or the reason it is not one. */
export function parseEvent(r: RawRecord): TestEvent | DeadLetter<RawRecord> {
  const bad = (detail: string): DeadLetter<RawRecord> => ({ record: r, code: 'parse_error', detail, origin: r.origin });
  if (r.key === undefined || r.key === '') return bad('message has no key (stream id)');
  let o: unknown;
  try {
    o = JSON.parse(r.payload);
  } catch (err) {
    return bad(`invalid JSON: ${(err as Error).message}`);
  }
  if (typeof o !== 'object' || o === null) return bad('payload is not a JSON object');
  const { t, v } = o as { t?: unknown; v?: unknown };
  if (typeof t !== 'number' || !Number.isFinite(t)) return bad('field "t" must be a finite number');
  if (typeof v !== 'number' || !Number.isFinite(v))
    return { record: r, code: 'non_finite', detail: 'field "v" must be a finite number', origin: r.origin };
  return { key: r.key, t, v };
}

export function isDeadLetter(x: TestEvent | DeadLetter<RawRecord>): x is DeadLetter<RawRecord> {
  return 'code' in x;
}

export function initialState(partition: number): StreamState {
  return { count: 0, sum: 0, ema: 0, lastT: -Infinity, lastOffset: -1, partition };
}

/** Advances the state by one event and returns the output for it. */
export function step(s: StreamState, e: TestEvent): Forecast {
  s.count += 1;
  s.sum += e.v;
  s.ema = s.count === 1 ? e.v : ALPHA * e.v + (1 - ALPHA) * s.ema;
  s.lastT = e.t;
  return {
    pipeline: PIPELINE,
    key: e.key,
    t: e.t,
    stepMs: 1_000,
    modelVersion: MODEL_VERSION,
    mean: Float64Array.of(s.ema),
    lower: Float64Array.of(s.sum),
    upper: Float64Array.of(s.count),
  };
}

const STATE_FIELDS = 4;

export function encodeState(s: StreamState): Uint8Array {
  const f = Float64Array.of(s.count, s.sum, s.ema, s.lastT);
  return new Uint8Array(f.buffer);
}

export function decodeState(bytes: Uint8Array, partition: number, lastOffset: number): StreamState {
  if (bytes.byteLength !== STATE_FIELDS * 8) throw new Error(`state of ${bytes.byteLength} bytes, expected ${STATE_FIELDS * 8}`);
  const f = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { count: f[0], sum: f[1], ema: f[2], lastT: f[3], lastOffset, partition };
}

/** What an uninterrupted run produces: the outputs of every valid event, by forecast id. */
export function referenceOutputs(events: readonly TestEvent[]): Map<string, { mean: number; lower: number; upper: number }> {
  const states = new Map<string, StreamState>();
  const out = new Map<string, { mean: number; lower: number; upper: number }>();
  for (const e of events) {
    let s = states.get(e.key);
    if (s === undefined) states.set(e.key, (s = initialState(0)));
    const f = step(s, e);
    out.set(`${PIPELINE}|${e.key}|${e.t}|${MODEL_VERSION}`, { mean: f.mean[0], lower: f.lower[0], upper: f.upper[0] });
  }
  return out;
}

/** N events over M streams, values from a fixed-seed generator, times increasing per stream. */
export function makeEvents(streams: number, perStream: number, seed = 42): TestEvent[] {
  let x = seed >>> 0;
  const rand = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  const events: TestEvent[] = [];
  for (let i = 0; i < perStream; i++) {
    for (let s = 0; s < streams; s++)
      events.push({ key: `test/s${s}/v`, t: 1_700_000_000_000 + i * 1_000, v: Math.round(rand() * 1e6) / 1e3 });
  }
  return events;
}
