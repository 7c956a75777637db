import type { IngestError, IngestResult } from '../api/server.js';
import type { DeadLetter, Observation, RawRecord } from '../core/types.js';
import { RecordParser } from '../operators/parse.js';
import { dataPart } from '../config/pipeline-schema.js';
import type { PipelineRuntime } from './pipeline-runtime.js';

// POST /api/ingest: a JSON array/object or line protocol body becomes raw records, parsed with the
// pipeline's own input mapping. HTTP ingest is at-most-once: it is not replayed after a restart.

export function ingestHandler(runtime: PipelineRuntime): (body: string, contentType: string) => Promise<IngestResult> {
  const parser = new RecordParser(dataPart(runtime.spec));
  return async (body, contentType) => {
    const raws = toRawRecords(body, contentType);
    const observations: Observation[] = [];
    const dead: DeadLetter[] = [];
    const errors: IngestError[] = [];
    raws.forEach((raw, i) => {
      parser.parse(raw, {
        observation: (o) => observations.push(o),
        deadLetter: (d) => {
          dead.push(d);
          if (errors.length < 10) errors.push({ at: raw.format === 'line' ? i + 1 : i, code: d.code, detail: d.detail });
        },
      });
    });
    const before = runtime.engine.stats.observations;
    const deadBefore = Object.values(runtime.engine.stats.deadLetters).reduce((a, b) => a + b, 0);
    await runtime.ingestExternal(observations, dead);
    const rejectedInEngine = Object.values(runtime.engine.stats.deadLetters).reduce((a, b) => a + b, 0) - deadBefore - dead.length;
    return {
      accepted: runtime.engine.stats.observations - before - Math.max(0, rejectedInEngine),
      rejected: dead.length + Math.max(0, rejectedInEngine),
      errors,
    };
  };
}

function toRawRecords(body: string, contentType: string): RawRecord[] {
  const origin = (i: number) => ({ connector: 'http', partition: 0, offset: String(i) });
  const trimmed = body.trim();
  if (contentType.includes('json') || trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      // Not one JSON document: treat as JSON lines.
      return trimmed.split('\n').filter((l) => l.trim() !== '').map((payload, i) => ({ payload, format: 'json' as const, origin: origin(i) }));
    }
    const items = Array.isArray(parsed) ? parsed : [parsed];
    return items.map((item, i) => ({ payload: JSON.stringify(item), format: 'json' as const, origin: origin(i) }));
  }
  return body.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((payload, i) => ({ payload, format: 'line' as const, origin: origin(i) }));
}
