import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validatePipelineFile } from './validate.js';

// `tidecast validate` reports what `run` would refuse in the http section.

const root = await mkdtemp(join(tmpdir(), 'tidecast-validate-http-'));
afterAll(() => rm(root, { recursive: true, force: true }));
await writeFile(join(root, 'd.csv'), 'stream,timestamp,value\na,0,1\n');

async function validate(http: string) {
  const file = join(root, `p${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(
    file,
    `name: w
step_ms: 3600000
sources: [{ kind: file, path: ${root}/d.csv, key_column: stream }]
model: { cell: gru, units: 4, horizon: 2 }
state: { dir: ${root}/state }
http:
${http}
`,
  );
  const r = await validatePipelineFile(file);
  return r.ok ? [] : r.issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`);
}

describe('validate: http section', () => {
  it('flags an open non-loopback host, and missing token or TLS files', async () => {
    expect(await validate('  host: 0.0.0.0')).toEqual([
      '7:9 http.host: "0.0.0.0" is not loopback and http.auth is not set: `tidecast run` refuses to start',
    ]);
    expect(await validate('  host: 0.0.0.0\n  auth: none')).toEqual([]);
    expect(await validate('  port: 9000')).toEqual([]);
    const auth = `  auth: { tokens: [{ scope: read, file: ${root}/absent }] }`;
    const tls = `  tls: { cert: ${root}/d.csv, key: ${root}/k.pem }`;
    const col = (line: string, value: string) => line.indexOf(value) + 1; // where the value starts
    expect(await validate(`  host: 0.0.0.0\n${auth}\n${tls}`)).toEqual([
      `8:${col(auth, `${root}/absent`)} http.auth.tokens[0].file: token file "${root}/absent" does not exist`,
      `9:${col(tls, `${root}/k.pem`)} http.tls.key: TLS key file "${root}/k.pem" does not exist`,
    ]);
  });
});
