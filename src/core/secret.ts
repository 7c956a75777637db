import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TidecastError } from './errors.js';

// A credential in a pipeline file: inline (fine for a local test server), or better a reference to an
// environment variable or a file (a mounted secret), so the pipeline file can be shared and committed.

export const SecretValue = z
  .union([
    z.string().min(1),
    z.object({ env: z.string().min(1).describe('Environment variable holding the secret.') }).strict(),
    z.object({ file: z.string().min(1).describe('File holding the secret (surrounding whitespace trimmed).') }).strict(),
  ])
  .describe('A secret: the value itself, {env: NAME} or {file: path}.');

export type SecretValueConfig = z.infer<typeof SecretValue>;

/**
 * The secret's value; a clear config error (naming `what`, never the value) when it cannot be read.
 * Values from a variable or a file are trimmed: `export X=$(cat f)` and files end in a newline.
 */
export function resolveSecret(value: SecretValueConfig, what: string, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof value === 'string') return value;
  if ('env' in value) {
    const v = env[value.env]?.trim();
    if (v === undefined || v === '')
      throw new TidecastError(`${what}: environment variable ${value.env} is not set`, 'config_invalid', false);
    return v;
  }
  let text: string;
  try {
    text = readFileSync(value.file, 'utf8').trim();
  } catch (err) {
    throw new TidecastError(`${what}: cannot read ${value.file}: ${(err as Error).message}`, 'config_invalid', false);
  }
  if (text === '') throw new TidecastError(`${what}: ${value.file} is empty`, 'config_invalid', false);
  return text;
}
