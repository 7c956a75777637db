import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { verifySignature } from '../../connectors/webhook/signature.js';
import type { AlertEvent } from '../core/alert-event.js';
import { parsePipelineText } from '../config/load-pipeline.js';
import { dataPart } from '../config/pipeline-schema.js';
import { createLogger } from '../telemetry/logger.js';
import { createSink } from './connectors.js';

const ALERT = {
  id: 'a|r|0',
  pipeline: 't',
  stream: 'a',
  rule: 'r',
  detector: 'score',
  state: 'firing',
  severity: 'warning',
  time: 3_600_000,
  episodeStart: 0,
  actual: 9,
  forecast: 1,
  interval: { lower: 0, upper: 2 },
  score: 0.999,
  surprise: 3,
  level: 0.999,
  modelVersion: 'm',
  dashboardUrl: '',
} as AlertEvent;

describe('createSink', () => {
  it('builds the webhook sink from a pipeline file: signed alert POSTs, forecasts not posted', async () => {
    const got: { body: string; ok: boolean }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ body, ok: verifySignature('s3cret', body, req.headers['x-tidecast-signature'] as string) });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const r = parsePipelineText(
        `name: t
step_ms: 3600000
sources: [{ kind: file, path: x.csv, key_column: stream }]
sinks: [{ kind: webhook, url: "http://127.0.0.1:${port}/hook", secret: s3cret }]
model: { cell: gru, units: 4, horizon: 2 }
state: { dir: var/t }
`,
        't.yaml',
      );
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      const spec = r.value.pipelines[0];
      const log = createLogger({ level: 'silent' });
      const sink = createSink(spec.sinks[0], 0, { pipeline: 't', log, paced: false, data: dataPart(spec) });
      expect(sink.kind).toBe('webhook');
      const forecast = {
        pipeline: 't',
        key: 'a',
        t: 0,
        stepMs: 3_600_000,
        modelVersion: 'm',
        mean: new Float64Array(2),
        lower: new Float64Array(2),
        upper: new Float64Array(2),
      };
      await sink.write({ forecasts: [forecast], alerts: [ALERT], deadLetters: [] }, new AbortController().signal);
      await sink.flush(true);
      await sink.close();
      expect(got).toHaveLength(1);
      expect(got[0].ok).toBe(true);
      expect(JSON.parse(got[0].body)).toMatchObject({ id: 'a|r|0', stream: 'a', score: 0.999 });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    }
  });
});
