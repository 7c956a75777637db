import { startHttpServer, type HttpServer } from '../api/server.js';
import { assertSafeBind, loadHttpAuth } from '../api/auth.js';
import { loadTls } from '../api/tls.js';
import { ForecastStore } from '../api/forecast-store.js';
import type { LoadedFile } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import { componentLogger, type Logger } from '../telemetry/logger.js';
import type { TidecastMetrics } from '../telemetry/metrics.js';
import { fileSources } from '../config/file-sources.js';
import { resolveAutoStep } from './infer-step.js';
import { ingestHandler } from './ingest.js';
import { PipelineRuntime } from './pipeline-runtime.js';
import { attachRetraining } from '../retraining/attach.js';
import { PersistedSilences, silencesPath } from '../alerting/silence-file.js';
import { modelsApi } from '../retraining/models-api.js';
import { followModelsTopic, modelsTopicFor } from '../../connectors/kafka/models-topic.js';
import type { Retrainer } from '../retraining/retrainer.js';

// `tidecast run`: every pipeline of every file in one process, one HTTP server for all, periodic
// checkpoints, and a graceful stop on SIGTERM/SIGINT (stop intake, flush sinks, checkpoint, exit 0).

export interface DaemonOptions {
  readonly files: readonly LoadedFile[];
  readonly log: Logger;
  readonly metrics: TidecastMetrics;
  /** Overrides the files' http.port. */
  readonly port?: number;
  readonly host?: string;
}

export interface Daemon {
  readonly runtimes: readonly PipelineRuntime[];
  readonly store: ForecastStore;
  readonly http: HttpServer;
  /** Graceful stop; idempotent. */
  stop(reason: string): Promise<void>;
  /** Resolves when stop() has finished. */
  readonly stopped: Promise<void>;
  /** After stop: 0, or 1 when a pipeline's final checkpoint failed (its state on disk is stale). */
  readonly exitCode: number;
}

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const log = o.log;
  // Security settings first: a bind that would expose the API without tokens fails before any work.
  const httpCfg = o.files.find((f) => f.http !== undefined)?.http;
  const httpHost = o.host ?? httpCfg?.host ?? '127.0.0.1';
  const auth = await loadHttpAuth(httpCfg?.auth);
  assertSafeBind(httpHost, auth);
  const tls = await loadTls(httpCfg?.tls);
  const listed: { spec: PipelineSpec; file: string }[] = o.files.flatMap((f) => f.pipelines.map((spec) => ({ spec, file: f.file })));
  // step_ms: auto becomes the spacing of the pipeline's file sources' data (infer-step.ts).
  const specs = await Promise.all(
    listed.map(async ({ spec, file }) => {
      const resolved = await resolveAutoStep(spec, fileSources(spec));
      if (resolved !== spec) log.info({ pipeline: spec.name, step_ms: resolved.step_ms }, 'step_ms inferred from the data.');
      return { spec: resolved, file };
    }),
  );
  const store = new ForecastStore();
  const startedAt = Date.now();
  let ready = false;
  const runtimes = specs.map(({ spec, file }) => {
    const plog = componentLogger(log, 'runtime', { pipeline: spec.name });
    const runtime = new PipelineRuntime(spec, {
      log: plog,
      metrics: o.metrics,
      paced: true,
      observer: {
        actual: (p, k, t, v, imp) => store.recordActual(p, k, t, v, imp),
        forecast: (f) => store.recordForecast(f),
        alert: (a) => store.recordAlert(a),
        modelSwapped: (p, version, validationLoss) =>
          store.setModelVersion(p, { version, since: Date.now(), reason: 'trained', validationLoss }),
      },
    });
    store.setHistoryPoints(spec.name, spec.limits.history_points);
    store.upsertPipeline(
      {
        name: spec.name,
        file,
        modelVersion: runtime.engine.runner.version,
        stepMs: spec.step_ms,
        startedAt,
        model: { cell: spec.model.cell, layers: spec.model.layers, units: spec.model.units, horizon: spec.model.horizon },
        sources: runtime.sources.map((s) => `${s.kind}:${s.name}`),
        sinks: spec.sinks.map((s) => s.kind),
      },
      'restoring',
    );
    return runtime;
  });
  const retrainers = new Map<string, Retrainer>();
  const silences = new Map<string, PersistedSilences>();
  const modelTopicClosers: (() => Promise<void>)[] = [];
  for (const r of runtimes) {
    await r.restore();
    const slog = componentLogger(log, 'alerting', { pipeline: r.spec.name });
    silences.set(r.spec.name, await PersistedSilences.open(r.engine.alerts, silencesPath(r.spec.state.dir), slog));
    const reason = await r.prepareModel();
    // Background retraining (training.online): registry, worker, engine tap, swap hook; with
    // state.models_topic, promotions are published and other instances' versions adopted.
    if (r.spec.training.online.enabled) {
      const rlog = componentLogger(log, 'retraining', { pipeline: r.spec.name });
      const topic = modelsTopicFor(r.spec, rlog);
      await topic?.ensureTopic();
      const retrainer = await attachRetraining(r, rlog, o.metrics, topic && { publish: (m) => topic.publish(m) });
      retrainers.set(r.spec.name, retrainer);
      if (topic !== undefined) {
        const unfollow = await followModelsTopic(retrainer, topic, rlog);
        modelTopicClosers.push(async () => {
          await unfollow();
          await topic.close();
        });
      }
    }
    if (reason !== 'initial') store.setModelVersion(r.spec.name, { version: r.engine.runner.version, since: Date.now(), reason });
    store.setPipelineStatus(r.spec.name, 'running');
  }
  const http = await startHttpServer({
    port: o.port ?? httpCfg?.port ?? 8080,
    host: httpHost,
    auth,
    tls,
    allowedOrigins: httpCfg?.allowed_origins,
    store,
    metrics: o.metrics,
    logger: componentLogger(log, 'api'),
    // A failing checkpoint makes the daemon not ready: a restart now would lose state silently otherwise.
    health: () => ({
      live: true,
      ready: ready && runtimes.every((r) => r.checkpointFailure === undefined),
      details: Object.fromEntries(
        runtimes.map((r) => [
          r.spec.name,
          {
            streams: r.engine.streamCount,
            ...(r.engine.eviction !== undefined && { resident: r.engine.runner.arena.size, evicted: r.engine.eviction.size }),
            ...r.engine.stats,
            checkpoint: r.checkpointFailure === undefined ? { status: 'ok' } : { status: 'failing', ...r.checkpointFailure },
          },
        ]),
      ),
    }),
    ingest: new Map(runtimes.map((r) => [r.spec.name, ingestHandler(r)])),
    classification: runtimes.some((r) => r.classification !== undefined)
      ? (key) => {
          for (const r of runtimes) {
            const v = r.classification?.view(key);
            if (v !== undefined) return v;
          }
          return undefined;
        }
      : undefined,
    models: retrainers.size > 0 ? modelsApi(retrainers) : undefined,
    embeddings: (limit) =>
      runtimes.map((r) => ({ pipeline: r.spec.name, ...r.engine.runner.stateRows(limit), fitted: r.engine.runner.embeddings?.keys ?? [] })),
    silences,
  });
  log.info({ url: http.url, pipelines: specs.map((s) => s.spec.name) }, 'Tidecast is running.');
  const running = runtimes.map((r) => r.start());
  ready = true;
  const minInterval = Math.min(...specs.map((s) => s.spec.state.checkpoint_interval_ms));
  const timer = setInterval(
    () => {
      for (const r of runtimes) void r.maybeCheckpoint(Date.now());
    },
    Math.max(100, Math.min(minInterval, 5_000)),
  );
  timer.unref();
  for (const r of runtimes) void r.maybeCheckpoint(Date.now());

  let stopping: Promise<void> | undefined;
  let exitCode = 0;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((res) => (resolveStopped = res));
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'Stopping: intake stops, sinks flush, state is checkpointed.');
      ready = false;
      clearInterval(timer);
      for (const r of runtimes) store.setPipelineStatus(r.spec.name, 'stopping');
      await Promise.all(runtimes.map((r) => r.stop()));
      await Promise.all(modelTopicClosers.map((c) => c().catch(() => undefined)));
      await Promise.all([...retrainers.values()].map((t) => t.close()));
      await Promise.allSettled(running);
      await http.close();
      const failed = runtimes.filter((r) => r.finalCheckpointFailed).map((r) => r.spec.name);
      exitCode = failed.length > 0 ? 1 : 0;
      if (failed.length > 0) log.fatal({ pipelines: failed }, 'Stopped without a final checkpoint: exiting with status 1.');
      log.info({ pipelines: runtimes.map((r) => ({ name: r.spec.name, ...r.engine.stats })) }, 'Stopped.');
      resolveStopped();
    })();
    return stopping;
  };
  return {
    runtimes,
    store,
    http,
    stop,
    stopped,
    get exitCode() {
      return exitCode;
    },
  };
}
