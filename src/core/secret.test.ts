import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSecret, SecretValue } from './secret.js';

const dir = mkdtempSync(join(tmpdir(), 'tidecast-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveSecret', () => {
  it('reads inline values, environment variables and files (trimmed)', () => {
    process.env.TIDECAST_TEST_SECRET = 's3cret';
    writeFileSync(join(dir, 'pw'), '  from-file\n');
    expect(resolveSecret(SecretValue.parse('inline'), 'x')).toBe('inline');
    expect(resolveSecret(SecretValue.parse({ env: 'TIDECAST_TEST_SECRET' }), 'x')).toBe('s3cret');
    expect(resolveSecret(SecretValue.parse({ file: join(dir, 'pw') }), 'x')).toBe('from-file');
  });

  it('names what is missing, never the secret', () => {
    delete process.env.TIDECAST_TEST_UNSET;
    expect(() => resolveSecret({ env: 'TIDECAST_TEST_UNSET' }, 'influx password')).toThrow(
      'influx password: environment variable TIDECAST_TEST_UNSET is not set',
    );
    expect(() => resolveSecret({ file: join(dir, 'nope') }, 'token')).toThrow(/token: cannot read .*nope/);
    writeFileSync(join(dir, 'empty'), '\n');
    expect(() => resolveSecret({ file: join(dir, 'empty') }, 'token')).toThrow('is empty');
    expect(SecretValue.safeParse({ env: 'A', file: 'b' }).success).toBe(false);
  });
});
