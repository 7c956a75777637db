import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePipelineText, type LoadedFile } from '../config/load-pipeline.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { startDaemon } from './daemon.js';

// The daemon's http section: tokens from env or file, the refuse-to-start rule before any work.

const root = await mkdtemp(join(tmpdir(), 'tidecast-daemon-security-'));
afterAll(() => rm(root, { recursive: true, force: true }));
await writeFile(
  join(root, 'data.csv'),
  `stream,timestamp,value\n${Array.from({ length: 4 }, (_, i) => `a,${i * 3_600_000},${i}`).join('\n')}\n`,
);

function file(http: string): LoadedFile {
  const r = parsePipelineText(
    `http: ${http}
pipelines:
  - name: w
    step_ms: 3600000
    sources: [{ kind: file, path: ${root}/data.csv, key_column: stream }]
    model: { cell: gru, units: 4, horizon: 2 }
    training: { offline: { enabled: false } }
    state: { dir: ${root}/state }
`,
    'w.yaml',
  );
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  return r.value;
}

const start = (f: LoadedFile, host?: string) =>
  startDaemon({ files: [f], log: createLogger({ level: 'silent' }), metrics: createMetrics(), port: 0, host });

describe('daemon http security', () => {
  it('refuses a non-loopback bind without tokens, from the file or --host, before restoring anything', async () => {
    await expect(start(file('{ host: 0.0.0.0 }'))).rejects.toThrow(
      /Refusing to listen on 0\.0\.0\.0 without authentication.*http\.auth: none/,
    );
    await expect(start(file('{}'), '::')).rejects.toThrow('Refusing to listen on ::');
    await expect(start(file('{ host: 0.0.0.0, auth: { tokens: [{ scope: write, env: TC_TEST_UNSET_TOKEN }] } }'))).rejects.toThrow(
      'TC_TEST_UNSET_TOKEN is not set',
    );
  });

  it('starts on a non-loopback host with tokens (from a file) or an explicit auth: none', async () => {
    const token = join(root, 'write-token');
    await writeFile(token, 'tok-123\n');
    for (const http of [`{ host: 0.0.0.0, auth: { tokens: [{ scope: write, file: ${token} }] } }`, '{ host: 0.0.0.0, auth: none }']) {
      const d = await start(file(http));
      try {
        const res = await fetch(`${d.http.url}/api/pipelines`, { headers: { authorization: 'Bearer tok-123' } });
        expect(res.status).toBe(200);
        const open = await fetch(`${d.http.url}/api/pipelines`);
        expect(open.status).toBe(http.includes('none') ? 200 : 401);
      } finally {
        await d.stop('test');
      }
    }
  });

  it('validates the section: one of env or file per token, auth none or tokens', () => {
    expect(() => file('{ auth: { tokens: [{ scope: read, env: A, file: /x }] } }')).toThrow('give exactly one of env or file');
    expect(() => file('{ auth: { tokens: [{ scope: admin, env: A }] } }')).toThrow();
    expect(() => file('{ auth: open }')).toThrow();
    expect(file('{ auth: none, tls: { cert: c.pem, key: k.pem } }').http).toMatchObject({
      auth: 'none',
      tls: { cert: 'c.pem', key: 'k.pem' },
    });
  });
});
