import { readFile } from 'node:fs/promises';
import type { HttpTlsSection } from '../config/sections.js';
import { TidecastError } from '../core/errors.js';

// http.tls: the certificate and key files read once at start, for fastify's https option.
// A missing or unreadable file fails the start with its path (never a silent fall back to HTTP).

export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export async function loadTls(section: HttpTlsSection | undefined): Promise<TlsFiles | undefined> {
  if (section === undefined) return undefined;
  const read = async (what: 'cert' | 'key', path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new TidecastError(`http.tls.${what}: cannot read ${path}: ${(err as Error).message}`, 'config_invalid', false);
    }
  };
  return { cert: await read('cert', section.cert), key: await read('key', section.key) };
}
