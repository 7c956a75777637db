import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { TidecastError } from '../core/errors.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import { renderMetrics, type TidecastMetrics } from '../telemetry/metrics.js';
import { registerAuth, assertSafeBind, type HttpAuth } from './auth.js';
import { streamEvents } from './event-stream.js';
import { IngestRefusal, rejectedStatus } from './ingest-limits.js';
import type { TlsFiles } from './tls.js';
import { registerWriteGuard } from './write-guard.js';
import { registerModelRoutes } from './models-routes.js';
import { registerEmbeddingsRoute, type EmbeddingStates } from './embeddings-route.js';
import { refuse, selectPipeline } from './pipeline-target.js';
import { registerSilenceRoutes, type SilenceApi } from './silences-routes.js';
import type { ModelsApi } from '../retraining/models-api.js';
import type { ForecastStore, StoreEvent } from './forecast-store.js';
import { loadDashboardAssets } from './static-assets.js';
import { parseStreamsQuery, StreamsIndex } from './streams-page.js';

// The daemon's HTTP face on fastify 5: the JSON API over the ForecastStore, health and readiness,
// Prometheus metrics, a server-sent-events feed, the HTTP ingest source and the static dashboard.
// The runtime owns everything behind the callbacks; this file only translates HTTP.

export const DEFAULT_HTTP_PORT = 8080;

export interface HealthReport {
  /** The process works (event loop turning, no fatal component): /healthz. */
  readonly live: boolean;
  /** It can take traffic (state restored, sources connected): /readyz. */
  readonly ready: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** One rejected record of an ingest request. */
export interface IngestRejection {
  /** 0-based: the element of a JSON array, else the line of the body (blank and comment lines count). */
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

/** This request's records only: accepted + rejected = records read from the body. */
export interface IngestResult {
  readonly accepted: number;
  readonly rejected: number;
  /** Every rejected record, by index; each is also dead-lettered and counted in the metrics. */
  readonly errors: readonly IngestRejection[];
}

/** Per-request ingest options from the query string. */
export interface IngestOptions {
  /** Unit of numeric timestamps (s, ms, us, ns, auto); overrides the pipeline's input.time_unit. */
  readonly timeUnit?: string;
}

/** POST /api/ingest body (raw text) and its content type; the runtime parses JSON or line protocol. */
export type IngestHandler = (body: string, contentType: string, options?: IngestOptions) => Promise<IngestResult>;

export type { SilenceApi } from './silences-routes.js';

export interface HttpServerOptions {
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  /** Default '127.0.0.1' (loopback). */
  readonly host?: string;
  readonly store: ForecastStore;
  readonly metrics: TidecastMetrics;
  readonly health: () => HealthReport | Promise<HealthReport>;
  /** HTTP ingest and silences by pipeline name (`?pipeline=NAME` picks one; a lone pipeline needs no name). */
  readonly ingest?: ReadonlyMap<string, IngestHandler>;
  readonly silences?: ReadonlyMap<string, SilenceApi>;
  /** Model registry routes (background retraining), when enabled. */
  readonly models?: ModelsApi;
  readonly logger?: Logger;
  /** SSE write interval. Default 250 ms. */
  readonly sseFlushMs?: number;
  /** Largest accepted request body. Default 10 MiB. */
  readonly bodyLimitBytes?: number;
  /** Bearer tokens (auth.ts); undefined: none configured, refused on a non-loopback host. */
  readonly auth?: HttpAuth;
  /** Serve HTTPS with this certificate and key. */
  readonly tls?: TlsFiles;
  /** Origins besides the server's own allowed to write from a browser. */
  readonly allowedOrigins?: readonly string[];
  /** model.classify: a stream's classifier outputs for /api/streams/:id (undefined: none). */
  readonly classification?: (key: string) => unknown;
  /** Per pipeline, up to `limit` streams' embeddings (state rows) for GET /api/embeddings (the dashboard's map). */
  readonly embeddings?: (limit: number) => readonly EmbeddingStates[];
}

export interface HttpServer {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  /** Ends SSE feeds and stops listening. */
  close(): Promise<void>;
}

const STORE_EVENT_TYPES = new Set<StoreEvent['type']>(['actual', 'forecast', 'alert', 'pipeline']);

/** Builds the app without listening: tests call app.inject(). */
export function buildHttpApp(options: HttpServerOptions): { app: FastifyInstance; closeFeeds: () => void } {
  const { store, metrics } = options;
  const log = options.logger ?? silentLogger();
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Per-request lines would drown the daemon's own logs; requests are counted in /metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes ?? 10 * 1024 * 1024,
    // On shutdown, keep-alive sockets would otherwise hold close() for the client's idle timeout.
    forceCloseConnections: true,
    // fastify types an https server apart; the routes below do not care which it is.
    ...(options.tls === undefined ? {} : { https: { cert: options.tls.cert, key: options.tls.key } }),
  }) as unknown as FastifyInstance;
  const assets = loadDashboardAssets();
  const feeds = new Set<() => void>();

  // Every body arrives as text: ingest hands it on untouched, the silences route parses its JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    done(null, body);
  });

  // Tokens first (a refused request learns nothing more), then cross-origin writes and content types.
  registerAuth(app, options.auth);
  registerWriteGuard(app, { allowedOrigins: options.allowedOrigins });

  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests.inc({ route: req.routeOptions.url ?? 'unmatched', method: req.method, status: String(reply.statusCode) });
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) log.error({ err }, 'Request failed.');
    return reply.code(status).send({ error: status >= 500 ? 'internal_error' : 'bad_request', message: err.message });
  });

  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `No route for ${req.method} ${req.url}.` }));

  // One page per request (streams-page.ts): never the whole list, which at 1M streams is ~1 GB.
  const streamsIndex = new StreamsIndex(store);
  app.get('/api/streams', async (req, reply) => {
    const query = parseStreamsQuery(req.query as Record<string, unknown>);
    if (!query.ok) return reply.code(400).send({ error: 'bad_request', message: query.message });
    return await streamsIndex.page(query.value);
  });

  // Keys contain '/': clients should URL-encode them (%2F), but a raw path works too, hence the wildcard.
  app.get('/api/streams/*', async (req, reply) => {
    const key = (req.params as { '*': string })['*'];
    const { limit } = req.query as { limit?: string };
    const n = limit === undefined ? undefined : Number(limit);
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) {
      return reply.code(400).send({ error: 'bad_request', message: `limit must be a non-negative integer, got "${limit}".` });
    }
    const detail = store.stream(safeDecode(key), n);
    if (detail === undefined) return reply.code(404).send({ error: 'not_found', message: `Unknown stream "${safeDecode(key)}".` });
    const classification = options.classification?.(detail.key);
    return classification === undefined ? detail : { ...detail, classification };
  });

  app.get('/api/alerts', async (req, reply) => {
    const { limit } = req.query as { limit?: string };
    const n = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(n) || n < 0)
      return reply.code(400).send({ error: 'bad_request', message: `limit must be a non-negative integer, got "${limit}".` });
    return store.alerts(n);
  });

  app.get('/api/pipelines', async () => ({ pipelines: store.pipelines() }));
  registerEmbeddingsRoute(app, options.embeddings);

  app.get('/healthz', async (_req, reply) => {
    const h = await options.health();
    return reply.code(h.live ? 200 : 503).send({ status: h.live ? 'ok' : 'down', ...h });
  });

  app.get('/readyz', async (_req, reply) => {
    const h = await options.health();
    return reply.code(h.ready ? 200 : 503).send({ status: h.ready ? 'ready' : 'not_ready', ...h });
  });

  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await renderMetrics(metrics);
    return reply.type(contentType).send(body);
  });

  app.get('/api/events', (req, reply) => {
    const q = req.query as { stream?: string; types?: string };
    const types = q.types === undefined ? undefined : parseTypes(q.types);
    if (types === null) {
      return reply.code(400).send({ error: 'bad_request', message: `types must be a comma list of ${[...STORE_EVENT_TYPES].join(', ')}.` });
    }
    reply.hijack();
    const close = streamEvents(store, reply.raw, {
      stream: q.stream,
      types,
      flushMs: options.sseFlushMs ?? 250,
      heartbeatMs: 15_000,
      maxQueued: 10_000,
    });
    feeds.add(close);
    reply.raw.on('close', () => feeds.delete(close));
  });

  app.post('/api/ingest', async (req, reply) => {
    const target = selectPipeline(
      options.ingest ?? new Map<string, IngestHandler>(),
      (req.query as { pipeline?: string }).pipeline,
      'HTTP ingest',
    );
    if (!target.ok) return refuse(reply, target);
    const body = typeof req.body === 'string' ? req.body : '';
    if (body.trim() === '') return reply.code(400).send({ error: 'bad_request', message: 'Empty body: send JSON or line protocol.' });
    const { time_unit: timeUnit } = req.query as { time_unit?: string };
    try {
      const result = await target.value(body, req.headers['content-type'] ?? '', { timeUnit });
      // Some records in: 200 with the rest's reasons; none: 429 when a stream limit was a reason, else 400.
      const status = result.accepted === 0 && result.rejected > 0 ? rejectedStatus(result.errors.map((e) => e.code)) : 200;
      return reply.code(status).send(result);
    } catch (err) {
      return sendIngestFailure(reply, err);
    }
  });

  registerSilenceRoutes(app, options.silences);
  registerModelRoutes(app, options.models, () => store.pipelines());

  for (const [url, asset] of assets) {
    app.get(url, async (_req, reply) => reply.type(asset.contentType).header('cache-control', 'no-cache').send(asset.body));
  }

  const closeFeeds = (): void => {
    for (const close of [...feeds]) close();
    feeds.clear();
  };
  app.addHook('onClose', async () => {
    closeFeeds();
  });
  return { app, closeFeeds };
}

/** Listens and resolves once the port is open. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const host = options.host ?? '127.0.0.1';
  assertSafeBind(host, options.auth);
  const { app, closeFeeds } = buildHttpApp(options);
  await app.listen({ port: options.port ?? DEFAULT_HTTP_PORT, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? DEFAULT_HTTP_PORT);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://${shownHost}:${port}`,
    port,
    app,
    close: async () => {
      // SSE sockets stay open forever otherwise, and server.close() would wait for them.
      closeFeeds();
      await app.close();
    },
  };
}

function sendIngestFailure(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof IngestRefusal) return reply.code(err.status).send({ error: err.code, message: err.message });
  if (err instanceof TidecastError) {
    // A retriable failure (pipeline paused, queue full) tells the client to come back.
    const status = err.retriable ? 503 : 400;
    if (err.retriable) reply.header('retry-after', '1');
    return reply.code(status).send({ error: err.code, message: err.message });
  }
  throw err;
}

function parseTypes(s: string): Set<StoreEvent['type']> | null {
  const out = new Set<StoreEvent['type']>();
  for (const t of s.split(',')) {
    const name = t.trim() as StoreEvent['type'];
    if (!STORE_EVENT_TYPES.has(name)) return null;
    out.add(name);
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
