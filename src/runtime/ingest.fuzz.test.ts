import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ForecastStore } from '../api/forecast-store.js';
import { buildHttpApp } from '../api/server.js';
import { parsePipelineText } from '../config/load-pipeline.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { ingestHandler } from './ingest.js';
import { PipelineRuntime } from './pipeline-runtime.js';

// Hostile bodies on POST /api/ingest through a real runtime: never a 500, never a crash, and every
// record is either accepted or answered with its index, a code and a message.

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const NOW = T0 + 1000 * HOUR;
const root = await mkdtemp(join(tmpdir(), 'tidecast-ingest-fuzz-'));
const spec = parsePipelineText(
  `name: w
step_ms: ${HOUR}
fields: [{ name: value, aggregation: mean }, { name: rh, aggregation: mean }]
sources: [{ kind: file, path: ${root}/none.csv, key_column: stream }]
sinks: [{ kind: file, dead_letters_path: ${root}/dead.jsonl, fsync: false }]
model: { cell: gru, units: 4, horizon: 2, seed: 1 }
state: { dir: ${root}/state }
limits: { max_streams: 200, max_new_streams_per_request: 50, max_records_per_request: 400 }
`,
  'w.yaml',
);
if (!spec.ok) throw new Error(JSON.stringify(spec.issues));
const rt = new PipelineRuntime(spec.value.pipelines[0], { log: createLogger({ level: 'silent' }), metrics: createMetrics(), paced: false });
const { app } = buildHttpApp({
  store: new ForecastStore(),
  metrics: createMetrics(),
  health: () => ({ live: true, ready: true }),
  ingest: new Map([['w', ingestHandler(rt, () => NOW)]]),
});
afterAll(async () => {
  await app.close();
  await rm(root, { recursive: true, force: true });
});

const post = (payload: string, type: string) =>
  app.inject({ method: 'POST', url: '/api/ingest', headers: { 'content-type': type }, payload });

interface Answer {
  accepted?: number;
  rejected?: number;
  errors?: { index: number; code: string; message: string }[];
  error?: string;
  message?: string;
}

/** A reasoned answer: 2xx/4xx only; counts add up to `records` when the request was read record by record. */
function reasoned(status: number, body: Answer, records: number | undefined): void {
  expect(status, JSON.stringify(body)).toBeLessThan(500);
  if (status === 200 || (body.accepted !== undefined && body.rejected !== undefined)) {
    if (records !== undefined) expect((body.accepted ?? 0) + (body.rejected ?? 0)).toBe(records);
    for (const e of body.errors ?? []) {
      expect(Number.isInteger(e.index) && e.index >= 0).toBe(true);
      expect(typeof e.code === 'string' && e.code.length > 0).toBe(true);
      expect(typeof e.message === 'string' && e.message.length > 0).toBe(true);
    }
    expect((body.errors ?? []).length).toBe(body.rejected);
  } else {
    expect(typeof (body.error ?? body.message)).toBe('string');
  }
}

const field = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 6 }),
  fc.constant(null),
  fc.boolean(),
  fc.constant('NaN'),
  fc.constant(1e308),
  fc.array(fc.integer(), { maxLength: 2 }),
);
const stream = fc.oneof(fc.constantFrom('a', 'b', 'c/d', ''), fc.string({ maxLength: 12 }), fc.string({ minLength: 300, maxLength: 320 }));
const time = fc.oneof(
  fc.integer({ min: 0, max: 2000 }).map((h) => T0 + h * HOUR),
  fc.integer({ min: 0, max: 2000 }).map((h) => new Date(T0 + h * HOUR).toISOString()),
  fc.constantFrom(1e17, -1, 0, 'yesterday', '2024-13-45T99:00:00Z', 1.5e9, Number.MAX_SAFE_INTEGER),
);
const record = fc.record({ stream, timestamp: time, value: field, rh: field }, { requiredKeys: [] });

describe('POST /api/ingest under fuzzing', () => {
  it('JSON arrays of odd records: counts add up, a reason per rejection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 60 }), async (records) => {
        const res = await post(JSON.stringify(records), 'application/json');
        reasoned(res.statusCode, res.json() as Answer, records.length);
      }),
      { numRuns: 120 },
    );
  });

  it('any JSON value: a reasoned 2xx/4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), async (v) => {
        const res = await post(JSON.stringify(v), 'application/json');
        reasoned(res.statusCode, res.json() as Answer, Array.isArray(v) ? v.length : undefined);
      }),
      { numRuns: 150 },
    );
  });

  it('any text as JSON or line protocol: a reasoned 2xx/4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 300 }),
        fc.constantFrom('application/json', 'text/plain', 'application/x-ndjson'),
        async (text, type) => {
          const res = await post(text, type);
          reasoned(res.statusCode, res.json() as Answer, undefined);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('JSON lines of any values: one answer per non-blank line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            record.map((r) => JSON.stringify(r)),
            fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
            fc.constant(''),
          ),
          { maxLength: 30 },
        ),
        async (lines) => {
          const res = await post(lines.join('\n'), 'application/x-ndjson');
          reasoned(res.statusCode, res.json() as Answer, lines.filter((l) => l.trim() !== '').length);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('line protocol, valid lines edited: every non-blank line accepted or answered', async () => {
    const line = fc
      .tuple(
        fc.constantFrom('a', 'b', 'x y', 'é'),
        fc.integer({ min: 0, max: 2000 }),
        fc.oneof(fc.double({ noNaN: true }).map(String), fc.constantFrom('oops', '1i', 't', '"s"', '')),
        fc.constantFrom('', ',', ' ', '=', '\\', '#'),
      )
      .map(([s, h, v, junk]) => `m,stream=${s.replace(/ /g, '\\ ')} value=${v}${junk} ${(T0 + h * HOUR) * 1e6}`);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(line, fc.constant(''), fc.constant('# c')), { maxLength: 40 }), async (lines) => {
        const res = await post(lines.join('\n'), 'text/plain');
        const records = lines.filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
        reasoned(res.statusCode, res.json() as Answer, records);
      }),
      { numRuns: 120 },
    );
  });

  it('still takes good records afterwards', async () => {
    const res = await post(JSON.stringify([{ stream: 'fresh', timestamp: T0 + 5 * HOUR, value: 1, rh: 2 }]), 'application/json');
    expect([res.statusCode, res.json().accepted]).toEqual([200, 1]);
  });
});
