import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// Writes from browsers of other sites are refused, and every write accepts only its documented
// content types. A page elsewhere can make a browser send a "simple" cross-site POST (a form, or
// fetch with text/plain) carrying the user's network position; such requests always carry an
// Origin header (and Sec-Fetch-Site in current browsers), which is what is checked here. Clients
// outside a browser (curl, collectors) send neither and are unaffected.
//
// Content types by route (docs/api.md):
//   POST /api/ingest      application/json, application/x-ndjson or application/jsonl (JSON lines),
//                         text/plain (InfluxDB line protocol), or none (line protocol, or JSON when the
//                         body starts with [ or {)
//   every other write     application/json, or none (an empty body or a JSON body)
// Form encodings (application/x-www-form-urlencoded, multipart/form-data) are never accepted.

const JSON_TYPES = ['application/json'];
const INGEST_TYPES = ['application/json', 'application/x-ndjson', 'application/jsonl', 'text/plain'];

export interface WriteGuardOptions {
  /** Origins besides the request's own that may write (http.allowed_origins), e.g. a proxy's public origin. */
  readonly allowedOrigins?: readonly string[];
}

/** The media type without parameters, lower case; '' when there is no content-type header. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/** Accepted media types of a write route ('' stands for no content type). */
export function acceptedTypes(path: string): readonly string[] {
  return path === '/api/ingest' ? INGEST_TYPES : JSON_TYPES;
}

/** Why a write from this request is cross-origin, or undefined when it is not. */
export function crossOriginReason(req: Pick<FastifyRequest, 'headers' | 'protocol'>, allowed: ReadonlySet<string>): string | undefined {
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  if (typeof origin === 'string') {
    const given = withoutDefaultPort(origin.toLowerCase());
    if (allowed.has(given)) return undefined;
    const own = withoutDefaultPort(`${req.protocol}://${String(req.headers.host ?? '').toLowerCase()}`);
    if (given !== own) return `Origin ${origin} is not this server (${own})`;
  }
  // same-site is still another origin (another port of the same host counts as the same site).
  if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site is ${site}`;
  return undefined;
}

export function registerWriteGuard(app: FastifyInstance, options: WriteGuardOptions = {}): void {
  const allowed = new Set((options.allowedOrigins ?? []).map((o) => withoutDefaultPort(o.replace(/\/+$/, '').toLowerCase())));
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    const reason = crossOriginReason(req, allowed);
    if (reason !== undefined) {
      return refuse(
        reply,
        403,
        'cross_origin',
        `${reason}: writes from other sites' pages are refused (http.allowed_origins lists extra origins).`,
      );
    }
    const path = req.routeOptions.url ?? req.url.split('?')[0];
    const type = mediaType(req.headers['content-type']);
    if (type === '') return;
    const accepted = acceptedTypes(path);
    if (!accepted.includes(type)) {
      return refuse(reply, 415, 'unsupported_media_type', `${req.method} ${path} accepts ${accepted.join(', ')} (got ${type}).`);
    }
  });
}

/** Browsers leave the scheme's default port out of Origin; a Host header may carry it. */
function withoutDefaultPort(origin: string): string {
  return origin.replace(/^(http:\/\/[^/]*?):80$|^(https:\/\/[^/]*?):443$/, '$1$2');
}

function refuse(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).send({ error, message });
}
