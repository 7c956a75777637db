import type { DeadLetter, Observation, RawRecord } from '../core/types.js';
import type { InputOptions } from './options.js';

/** Where parsers put what they read: observations, or dead letters carrying the raw record. */
export interface ParseSink {
  observation(o: Observation): void;
  deadLetter(d: DeadLetter<RawRecord>): void;
}

/** What every parser needs: the input mapping and the pipeline's field names. */
export interface ParseConfig {
  readonly input: InputOptions;
  readonly fieldNames: readonly string[];
}

/** A cell or JSON value as a finite number; NaN when it is none. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : NaN;
  }
  return NaN;
}

/** field name lookup: source name -> pipeline field, or undefined for an unknown field. */
export function fieldMapper(
  map: Readonly<Record<string, string>> | null,
  fieldNames: readonly string[],
): (name: string) => string | undefined {
  if (map === null) {
    const known = new Set(fieldNames);
    return (n) => (known.has(n) ? n : undefined);
  }
  const m = new Map(Object.entries(map));
  return (n) => m.get(n);
}
