import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpAuthSection } from '../config/sections.js';
import { TidecastError } from '../core/errors.js';
import { resolveSecret } from '../core/secret.js';

// Bearer tokens for the HTTP API (http.auth). With tokens configured, reads (GET /api/*, /metrics)
// need a read or write token and every other method (ingest, silences, promote/rollback/train) a
// write token: 401 without a valid token, 403 with a read token on a write. /healthz, /readyz and
// the dashboard's static files stay open (probes, and the page itself holds no data).
// Secrets come from an environment variable or a file, never from the pipeline file itself.

export type TokenScope = 'read' | 'write';

export interface ApiToken {
  readonly name: string;
  readonly scope: TokenScope;
  /** SHA-256 of the secret: every comparison is between two 32-byte digests, in constant time. */
  readonly digest: Buffer;
}

/** `none`: no tokens, said explicitly; otherwise the accepted tokens. */
export type HttpAuth = 'none' | { readonly tokens: readonly ApiToken[] };

export function apiToken(secret: string, scope: TokenScope, name: string = scope): ApiToken {
  return { name, scope, digest: digestOf(secret) };
}

/**
 * Reads the tokens named by `http.auth`. A missing variable, an unreadable or empty file fails the
 * start (running without the intended tokens would silently open the API).
 */
export async function loadHttpAuth(
  section: HttpAuthSection | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HttpAuth | undefined> {
  if (section === undefined || section === 'none') return section;
  const tokens: ApiToken[] = [];
  for (const [i, t] of section.tokens.entries()) {
    const name = t.name ?? `tokens[${i}]`;
    const from = t.env !== undefined ? { env: t.env } : { file: t.file as string };
    tokens.push(apiToken(resolveSecret(from, `http.auth ${name}`, env), t.scope, name));
  }
  return { tokens };
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h === '::ffff:127.0.0.1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Refuses a non-loopback bind without tokens unless the file says `http.auth: none`. */
export function assertSafeBind(host: string, auth: HttpAuth | undefined): void {
  if (isLoopback(host) || auth !== undefined) return;
  throw new TidecastError(
    `Refusing to listen on ${host} without authentication: anyone who reaches it could ingest data, silence alerts and promote models. ` +
      'Set http.auth.tokens (read/write tokens from env or file), or say `http.auth: none` in the pipeline file to serve it open on purpose, ' +
      'or listen on 127.0.0.1.',
    'config_invalid',
    false,
  );
}

/** The scope a request needs: undefined for open paths (probes, dashboard files). */
export function requiredScope(method: string, path: string): TokenScope | undefined {
  if (method !== 'GET' && method !== 'HEAD') return method === 'OPTIONS' ? undefined : 'write';
  if (path === '/metrics' || path === '/api' || path.startsWith('/api/')) return 'read';
  return undefined;
}

/** What a presented token is worth: the best matching scope, or undefined. Compares with every token. */
export function scopeOf(tokens: readonly ApiToken[], presented: string): TokenScope | undefined {
  const d = digestOf(presented);
  let scope: TokenScope | undefined;
  for (const t of tokens) {
    // No early exit: the time taken does not tell which token (or how much of one) matched.
    if (timingSafeEqual(d, t.digest) && scope !== 'write') scope = t.scope;
  }
  return scope;
}

/** Adds the onRequest check; a no-op without tokens. */
export function registerAuth(app: FastifyInstance, auth: HttpAuth | undefined): void {
  if (auth === undefined || auth === 'none') return;
  const { tokens } = auth;
  app.addHook('onRequest', async (req, reply) => {
    const path = req.routeOptions.url ?? req.url.split('?')[0];
    const needed = requiredScope(req.method, path);
    if (needed === undefined) return;
    const presented = bearerOf(req);
    if (presented === undefined) {
      return deny(
        reply,
        401,
        'unauthorized',
        `${req.method} ${path} needs a bearer token (Authorization: Bearer TOKEN).`,
        'Bearer realm="tidecast"',
      );
    }
    const scope = scopeOf(tokens, presented);
    if (scope === undefined)
      return deny(reply, 401, 'invalid_token', 'The bearer token is not valid.', 'Bearer realm="tidecast", error="invalid_token"');
    if (needed === 'write' && scope !== 'write') {
      return deny(reply, 403, 'insufficient_scope', `${req.method} ${path} needs a token with write scope; this one has read scope.`);
    }
  });
}

function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(h);
  return m === null ? undefined : m[1];
}

function deny(reply: FastifyReply, status: 401 | 403, error: string, message: string, challenge?: string): FastifyReply {
  if (challenge !== undefined) reply.header('www-authenticate', challenge);
  return reply.code(status).send({ error, message });
}

function digestOf(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
