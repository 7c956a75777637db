import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ForecastStore } from '../api/forecast-store.js';
import { buildHttpApp } from '../api/server.js';
import { parsePipelineText } from '../config/load-pipeline.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { ingestHandler } from './ingest.js';
import { PipelineRuntime } from './pipeline-runtime.js';

// POST /api/ingest through a real pipeline runtime: exact per-request counts with a reason per
// rejected record (parser, limits and engine alike), limits, deep JSON, time_unit, future_record.

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const NOW = T0 + 48 * HOUR;
const root = await mkdtemp(join(tmpdir(), 'tidecast-ingest-'));
afterAll(() => rm(root, { recursive: true, force: true }));
let closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

let n = 0;
function setup(limits = '') {
  const dir = join(root, `p${n++}`);
  const r = parsePipelineText(
    `name: w
step_ms: ${HOUR}
ordering: { max_delay_ms: 0, allowed_lateness_ms: 0 }
sources: [{ kind: file, path: ${dir}/none.csv, key_column: stream }]
# A real sink: each request waits on file I/O after its records went in, so requests overlap.
sinks: [{ kind: file, dead_letters_path: ${dir}/dead.jsonl, fsync: true }]
model: { cell: gru, units: 4, horizon: 2, seed: 1 }
state: { dir: ${dir}/state }
${limits}
`,
    'w.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const metrics = createMetrics();
  const rt = new PipelineRuntime(r.value.pipelines[0], { log: createLogger({ level: 'silent' }), metrics, paced: false });
  const { app } = buildHttpApp({
    store: new ForecastStore(),
    metrics,
    health: () => ({ live: true, ready: true }),
    ingest: new Map([['w', ingestHandler(rt, () => NOW)]]),
  });
  closers.push(() => app.close());
  const post = (payload: string, type = 'application/json', query = '') =>
    app.inject({ method: 'POST', url: `/api/ingest${query}`, headers: type === '' ? {} : { 'content-type': type }, payload });
  return { rt, metrics, post, dir };
}

const rec = (stream: string, hour: number, value: unknown = 1, extra: Record<string, unknown> = {}) => ({
  stream,
  timestamp: T0 + hour * HOUR,
  value,
  ...extra,
});

async function deadLetters(m: ReturnType<typeof createMetrics>, code: string): Promise<number> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === 'tidecast_dead_letters_total');
  return (metric?.values ?? []).filter((v) => v.labels.code === code).reduce((a, v) => a + v.value, 0);
}

describe('POST /api/ingest counts', () => {
  it("answers this request's counts, and index, code and message for every rejected record (parser, limits, engine)", async () => {
    const { post, metrics, rt, dir } = setup('limits: { max_stream_id_length: 12 }');
    const body = [
      rec('a', 0),
      rec('a', 1), // 0, 1: in
      rec('a', 1), // 2: duplicate (engine)
      rec('a', 0, 5), // 3: late (engine)
      rec('', 2), // 4: empty stream id (engine)
      rec('a', 2, 1, { humidity: 3 }), // 5: unknown field (parser)
      rec('x'.repeat(13), 0), // 6: stream id too long (limits)
      { stream: 'b', timestamp: NOW + 25 * HOUR, value: 1 }, // 7: more than a day ahead (limits)
      rec('b', 0), // 8: in
    ];
    const res = await post(JSON.stringify(body));
    expect(res.statusCode).toBe(200);
    const out = res.json();
    expect(out.accepted).toBe(3);
    expect(out.rejected).toBe(6);
    expect(out.errors.map((e: { index: number; code: string }) => [e.index, e.code])).toEqual([
      [2, 'duplicate'],
      [3, 'late_record'],
      [4, 'schema_mismatch'],
      [5, 'schema_mismatch'],
      [6, 'stream_id_too_long'],
      [7, 'future_record'],
    ]);
    expect(out.errors[4].message).toContain('limit is 12');
    expect(out.errors[5].message).toContain('limits.max_future_ms');
    for (const code of ['duplicate', 'late_record', 'stream_id_too_long', 'future_record'])
      expect(await deadLetters(metrics, code)).toBe(1);
    // The dead-letter sink gets the parser's rejection with the record's own JSON text.
    await rt.checkpoint();
    const written = (await readFile(join(dir, 'dead.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(written).toHaveLength(6);
    expect(written.find((d) => d.code === 'schema_mismatch' && d.record.payload !== undefined)?.record).toEqual({
      payload: JSON.stringify(body[5]),
      format: 'json',
      origin: { connector: 'http', partition: 0, offset: '5' },
    });
  });

  it('counts two concurrent requests exactly, each its own', async () => {
    const { post, rt } = setup();
    const a = [rec('a', 0), rec('a', 1), rec('a', 2), rec('a', 2)]; // 3 in, 1 duplicate
    const b = [rec('b', 0), rec('b', 1), rec('b', 2), rec('b', 3), rec('b', 4), rec('b', 1), rec('b', 0)]; // 5 in, 2 late
    const [ra, rb] = await Promise.all([post(JSON.stringify(a)), post(JSON.stringify(b))]);
    expect([ra.json().accepted, ra.json().rejected]).toEqual([3, 1]);
    expect(ra.json().errors).toMatchObject([{ index: 3, code: 'duplicate' }]);
    expect([rb.json().accepted, rb.json().rejected]).toEqual([5, 2]);
    expect(rb.json().errors).toMatchObject([
      { index: 5, code: 'late_record' },
      { index: 6, code: 'late_record' },
    ]);
    expect(rt.engine.stats.observations).toBe(a.length + b.length);
  });

  it('indexes line protocol and JSON lines by line, blank and comment lines included', async () => {
    const { post } = setup();
    const lp = `# header\nm,stream=a value=1 ${T0 * 1e6}\n\nm,stream=a value=oops ${T0 * 1e6 + HOUR * 1e6}\nm,stream=a value=2 ${T0 * 1e6}\n`;
    const r1 = await post(lp, 'text/plain');
    expect(r1.json()).toMatchObject({
      accepted: 1,
      rejected: 2,
      errors: [
        { index: 3, code: 'parse_error' },
        { index: 4, code: 'duplicate' },
      ],
    });
    const nd = `${JSON.stringify(rec('c', 0))}\n{bad\n${JSON.stringify(rec('c', 1))}\n`;
    expect((await post(nd, 'application/x-ndjson')).json()).toMatchObject({
      accepted: 2,
      rejected: 1,
      errors: [{ index: 1, code: 'parse_error' }],
    });
  });
});

describe('POST /api/ingest limits', () => {
  it('rejects records of new streams over max_new_streams_per_request and max_streams (429 when none got in)', async () => {
    const { post, metrics, rt } = setup('limits: { max_streams: 4, max_new_streams_per_request: 2 }');
    const first = await post(JSON.stringify([rec('s1', 0), rec('s2', 0), rec('s3', 0), rec('s1', 1)]));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ accepted: 3, rejected: 1, errors: [{ index: 2, code: 'too_many_new_streams' }] });
    const second = await post(JSON.stringify([rec('s3', 0), rec('s4', 0)]));
    expect(second.json()).toMatchObject({ accepted: 2, rejected: 0 });
    const full = await post(JSON.stringify([rec('s5', 0), rec('s6', 0)]));
    expect(full.statusCode).toBe(429);
    expect(full.json()).toMatchObject({
      accepted: 0,
      rejected: 2,
      errors: [
        { index: 0, code: 'stream_limit' },
        { index: 1, code: 'stream_limit' },
      ],
    });
    expect(full.json().errors[0].message).toContain('limits.max_streams');
    expect(rt.engine.runner.arena.size).toBe(4);
    expect(await deadLetters(metrics, 'stream_limit')).toBe(2);
    expect(await deadLetters(metrics, 'too_many_new_streams')).toBe(1);
  });

  it('counts streams evicted as idle (limits.max_resident_streams) as held: max_streams still binds, and they come back', async () => {
    const { post, rt } = setup('limits: { max_streams: 3, max_resident_streams: 1 }');
    expect((await post(JSON.stringify([rec('s1', 0), rec('s2', 0), rec('s3', 0)]))).json()).toMatchObject({ accepted: 3 });
    rt.engine.advanceWatermark(T0 + 2 * HOUR); // the idle flush closes their steps: nothing held
    expect(await rt.checkpoint()).toBe(true); // evicts all but one
    expect(rt.engine.runner.arena.size).toBe(1);
    expect(rt.engine.streamCount).toBe(3);
    const full = await post(JSON.stringify([rec('s4', 3)]));
    expect(full.statusCode).toBe(429);
    expect(full.json().errors[0].code).toBe('stream_limit');
    const back = await post(JSON.stringify([rec('s1', 3), rec('s2', 3), rec('s3', 3)]));
    expect(back.json()).toMatchObject({ accepted: 3, rejected: 0 });
    expect(rt.engine.runner.arena.size).toBe(3);
    expect(rt.engine.eviction?.recalls).toBe(2);
  });

  it('refuses a request over max_records_per_request whole (413), counted', async () => {
    const { post, metrics, rt } = setup('limits: { max_records_per_request: 5 }');
    const res = await post(JSON.stringify(Array.from({ length: 6 }, (_, i) => rec('a', i))));
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toBe('too_many_records');
    expect(rt.engine.stats.observations).toBe(0);
    const refused = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === 'tidecast_ingest_refused_requests_total');
    expect(refused?.values).toMatchObject([{ labels: { pipeline: 'w', code: 'too_many_records' }, value: 1 }]);
    expect((await post(JSON.stringify(Array.from({ length: 5 }, (_, i) => rec('a', i))))).json().accepted).toBe(5);
  });

  it('answers a 100,000-deep JSON array with 400, as JSON and as JSON lines', async () => {
    const { post } = setup();
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    for (const type of ['application/json', 'application/x-ndjson', '']) {
      const res = await post(deep, type);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('too_deep');
    }
    // Brackets inside strings are not nesting.
    expect((await post(JSON.stringify([rec('a', 0, 1, { note: '['.repeat(100) })]))).json()).toMatchObject({
      rejected: 1,
      errors: [{ code: 'schema_mismatch' }],
    });
  });
});

describe('POST /api/ingest time units', () => {
  it('reads numeric timestamps in ?time_unit, else guesses from the magnitude; far-future times are future_record', async () => {
    const { post } = setup();
    const at = (timestamp: number) => JSON.stringify([{ stream: 'u', timestamp, value: 1 }]);
    // 4e12 is guessed as ms: year 2096, beyond the skew. As microseconds it is 1970.
    expect((await post(at(4e12))).json()).toMatchObject({ accepted: 0, errors: [{ code: 'future_record' }] });
    expect((await post(at(4e12), 'application/json', '?time_unit=us')).json()).toMatchObject({ accepted: 1, rejected: 0 });
    // 1e17 is guessed as ns (1973); read as us it is the year 5138.
    expect((await post(at(1e17 + HOUR * 1e6))).json()).toMatchObject({ accepted: 1 });
    expect((await post(at(1e17), 'application/json', '?time_unit=us')).json()).toMatchObject({ errors: [{ code: 'future_record' }] });
    // Line protocol: time_unit sets the precision of the line's timestamp.
    expect((await post(`m,stream=lp value=1 ${Math.round(NOW / 1000)}`, 'text/plain', '?time_unit=s')).json()).toMatchObject({
      accepted: 1,
    });
    expect((await post(`m,stream=lp value=1 ${NOW}`, 'text/plain', '?time_unit=s')).json()).toMatchObject({
      errors: [{ code: 'future_record' }],
    });
    const bad = await post(at(1), 'application/json', '?time_unit=minutes');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('time_unit must be one of');
  });
});
