import type { DeadLetter, Forecast, RawRecord } from '../../src/core/types.js';

// How Tidecast's outputs look on Kafka. Every message is keyed by stream (so a stream's outputs keep their
// order on one partition) and carries a `tidecast-id` header that is the same on a replay: consumers dedupe by it.

export interface KafkaOutRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Explicit partition; by key hash when absent. */
  readonly partition?: number;
}

export const ID_HEADER = 'tidecast-id';

/** (pipeline, stream, timestamp, model version): what makes a forecast the same one on a replay. */
export function forecastId(f: Pick<Forecast, 'pipeline' | 'key' | 't' | 'modelVersion'>): string {
  return `${f.pipeline}|${f.key}|${f.t}|${f.modelVersion}`;
}

export function forecastRecord(topic: string, f: Forecast): KafkaOutRecord {
  // Built by hand (hot path: one record per forecast): the same bytes JSON.stringify gives for
  // { pipeline, stream, t, step_ms, model_version, mean, lower, upper }, without the intermediate
  // object and arrays.
  const value =
    `{"pipeline":${JSON.stringify(f.pipeline)},"stream":${JSON.stringify(f.key)},"t":${jsonNumber(f.t)},` +
    `"step_ms":${jsonNumber(f.stepMs)},"model_version":${JSON.stringify(f.modelVersion)},` +
    `"mean":${jsonNumbers(f.mean)},"lower":${jsonNumbers(f.lower)},"upper":${jsonNumbers(f.upper)}}`;
  return { topic, key: f.key, value, headers: { [ID_HEADER]: forecastId(f) } };
}

/** A number as JSON.stringify writes it: non-finite values become null. */
function jsonNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

function jsonNumbers(xs: ArrayLike<number>): string {
  if (xs.length === 1) return `[${jsonNumber(xs[0])}]`;
  let s = '[';
  for (let i = 0; i < xs.length; i++) s += (i === 0 ? '' : ',') + jsonNumber(xs[i]);
  return `${s}]`;
}

/** Any alert with a stable id (key + rule + episode start) and its stream key; typed arrays become arrays. */
export function alertRecord(topic: string, alert: { readonly id: string; readonly key: string }): KafkaOutRecord {
  const value = JSON.stringify(alert, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));
  return { topic, key: alert.key, value, headers: { [ID_HEADER]: alert.id } };
}

function isRawRecord(r: unknown): r is RawRecord {
  return typeof r === 'object' && r !== null && typeof (r as RawRecord).payload === 'string' && 'origin' in r;
}

/** The reason, the original payload as it came, and where it came from (topic/partition/offset). */
export function deadLetterRecord(topic: string, d: DeadLetter, pipeline = ''): KafkaOutRecord {
  const raw = isRawRecord(d.record) ? d.record : undefined;
  const origin = d.origin ?? raw?.origin;
  const payload = raw !== undefined ? raw.payload : safeJson(d.record);
  const value = JSON.stringify({
    pipeline,
    code: d.code,
    reason: d.detail,
    payload,
    topic: origin?.topic ?? null,
    partition: origin?.partition ?? null,
    offset: origin?.offset ?? null,
    connector: origin?.connector ?? null,
  });
  const id =
    origin === undefined ? `${d.code}|${payload}` : `${origin.connector}|${origin.topic ?? ''}|${origin.partition}|${origin.offset}`;
  return { topic, key: raw?.key ?? null, value, headers: { [ID_HEADER]: id, 'tidecast-code': d.code } };
}

function safeJson(x: unknown): string {
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}
