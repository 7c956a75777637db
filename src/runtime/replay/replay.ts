import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FileSourceConfig } from '../../../connectors/file/config.js';
import { FileSource } from '../../../connectors/file/file-source.js';
import { concatMap, lastValueFrom } from 'rxjs';
import { alertOn } from '../../pipeline/alert-on.js';
import { endOfData, features, forecast, intake } from '../../pipeline/engine-stages.js';
import { fromBatches } from '../../pipeline/from-source.js';
import { NO_OUTPUTS } from '../../pipeline/pipeline-batch.js';
import type { PipelineSpec } from '../../config/pipeline-schema.js';
import type { DeadLetter } from '../../core/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { HeadRow } from '../../forecasting/online-head.js';
import { PipelineEngine } from '../../engine/pipeline-engine.js';
import { prepareModel } from '../prepare-model.js';
import { ReplayRetraining } from '../../retraining/replay-retraining.js';
import { fileSpacingMs, resolveAutoStep } from '../infer-step.js';
import { ReplayAlerts, rulesMatchingNothing } from './replay-alerts.js';
import { nothingWrittenReason, UnscoredTally, type UnscoredCounts } from './replay-unscored.js';
import { wideHeader, wideLine } from './replay-wide.js';
import { csvCell, num, StepRowCsv } from './replay-step-csv.js';

// `tidecast replay`: the daemon's engine over one file as fast as possible, one CSV row per forecast
// step; anomaly_score is the alert engine's live calibrated score, empty where it scored nothing
// (surprise: -log10 of its tail probability, unbounded; likelihood: the stream's anomaly likelihood;
// baseline: -log10 p of the value's deviation from the stream's slow baseline, also on unscored real steps)
// (imputed steps, streams warming up). The model is prepared as the daemon prepares it (model.path, or a fit on the file's start). The input is read with the pipeline's first file source's column mapping (or the default
// stream,timestamp,value layout), so a live pipeline and its replay see the same observations.
// The rules' alert events go to an alerts file as the daemon writes them (replay-alerts.ts); the
// offline fit's window is never scored, and the summary says why steps went unscored
// (replay-unscored.ts); --horizons all writes every horizon (replay-wide.ts); folders: replay-folder.ts.

export const REPLAY_HEADER = 'timestamp,stream,actual,forecast,lower,upper,anomaly_score,imputed,surprise,likelihood,baseline';
/**
 * With model.online_head: two more columns. `forecaster` is `recurrent` (the per-stream rows above)
 * or `online_head`: one row per head row and stream, whose `forecast` is the head's one-step
 * forecast made at the previous row and `forecasts` its forecasts for t + 1 .. t + H made after
 * seeing t, separated by `;` (empty on recurrent rows). Data units.
 */
export const REPLAY_HEAD_HEADER = `${REPLAY_HEADER},forecaster,forecasts`;

export interface ReplayOptions {
  readonly input: string;
  readonly log: Logger;
  readonly output: string;
  /** Called after every batch with data rows read so far. */
  readonly onProgress?: (rows: number) => void;
  readonly onDeadLetter?: (d: DeadLetter) => void;
  readonly signal?: AbortSignal;
  /** Alerts file (JSON lines, as the daemon's file sink writes alerts_path); none when absent. */
  readonly alerts?: string;
  /** 'all': one wide row per forecast with every horizon (replay-wide.ts); default 'one'. */
  readonly horizons?: 'one' | 'all';
  /** Column mapping over the pipeline's file source (or the default layout); see replaySourceConfig. */
  readonly columns?: ReplayColumns;
}

/** Input columns given on the command line; each replaces the file source's setting. */
export type ReplayColumns = Partial<Pick<FileSourceConfig, 'format' | 'key_column' | 'time_column' | 'value_columns' | 'key_prefix'>>;

export interface ReplaySummary {
  readonly rows: number;
  readonly steps: number;
  readonly written: number;
  readonly deadLetters: Readonly<Record<string, number>>;
  readonly streams: number;
  /** The grid step used (step_ms, or inferred from the input with step_ms: auto). */
  readonly stepMs: number;
  /** One-step rows the alert engine scored, and why the other steps were not scored. */
  readonly scored: number;
  readonly unscored: UnscoredCounts;
  /** Alert events written (pending, firing, resolved), when an alerts file was asked for. */
  readonly alerts?: {
    readonly events: number;
    readonly pending: number;
    readonly firing: number;
    readonly resolved: number;
    readonly byRule?: Readonly<Record<string, number>>;
  };
}

export function replaySourceConfig(spec: PipelineSpec, input: string, columns: ReplayColumns = {}): FileSourceConfig {
  const file = spec.sources.find((s) => s.kind === 'file');
  const {
    kind: _k,
    name: _n,
    ...base
  } = file ?? { kind: 'file', name: undefined, ...FileSourceConfig.parse({ path: input, key_column: 'stream' }) };
  const format = columns.format ?? (input.endsWith('.jsonl') || input.endsWith('.json') ? 'json' : base.format);
  return { ...base, ...columns, path: input, format };
}

export async function replayFile(fileSpec: PipelineSpec, o: ReplayOptions): Promise<ReplaySummary> {
  const cfg = replaySourceConfig(fileSpec, o.input, o.columns);
  // step_ms: auto is the input's own spacing (infer-step.ts).
  const spec = await resolveAutoStep(fileSpec, [cfg]);
  if (spec !== fileSpec) o.log.info({ step_ms: spec.step_ms, input: o.input }, 'step_ms inferred from the input.');
  const withHead = spec.model.online_head !== undefined;
  const wide = o.horizons === 'all';
  if (wide && withHead)
    throw new Error('--horizons all does not apply with model.online_head (its rows carry every horizon in `forecasts`)');
  await mkdir(dirname(o.output), { recursive: true });
  const out = createWriteStream(o.output);
  let chunk: string[] = [wide ? wideHeader(spec.model.horizon) : withHead ? REPLAY_HEAD_HEADER : REPLAY_HEADER];
  let written = 0;
  const tally = new UnscoredTally();
  const rowCsv = new StepRowCsv();
  const alerts = o.alerts === undefined ? undefined : await ReplayAlerts.create(o.alerts);
  const engine = new PipelineEngine(spec, {
    // The tally counts each step before its row, as the alert stage reports them.
    scoring: (s, i) => tally.step(s.keys[i]),
    step: (r) => {
      tally.row(r);
      if (wide) return;
      chunk.push(withHead ? `${rowCsv.line(r)},recurrent,` : rowCsv.line(r));
      written++;
    },
    stepCopies: true, // the tally and the CSV line read the row during the call
    // --horizons all: one line per forecast, built from the scored step (its value, score and forecast).
    scored: wide
      ? (s, i) => {
          const line = wideLine(s, i, csvCell);
          if (line === undefined) return;
          chunk.push(line);
          written++;
        }
      : undefined,
    alert: alerts && ((a) => alerts.add(a)),
    headRow: (r) => {
      for (const line of headCsvRows(r)) chunk.push(line);
      written += r.keys.length;
    },
    deadLetter: o.onDeadLetter,
  });
  const drain = async () => {
    if (chunk.length === 0) return;
    const ok = out.write(`${chunk.join('\n')}\n`);
    chunk = [];
    if (!ok) await once(out, 'drain');
  };
  const rows = await replayInto(engine, o.input, o.log, {
    signal: o.signal,
    source: cfg,
    onFit: (steps, streams) => tally.setFitWindow(steps, streams),
    afterBatch: async (n) => {
      await drain();
      await alerts?.drain();
      o.onProgress?.(n);
    },
  });
  await drain();
  out.end();
  await once(out, 'finish');
  await alerts?.close();
  const summary: ReplaySummary = {
    rows,
    steps: engine.stats.steps,
    written,
    deadLetters: { ...engine.stats.deadLetters },
    streams: engine.runner.arena.size,
    stepMs: spec.step_ms,
    scored: tally.scored,
    unscored: tally.result(),
    ...(alerts === undefined ? {} : { alerts: { events: alerts.events, ...alerts.counts, byRule: { ...alerts.byRule } } }),
  };
  const idle = rulesMatchingNothing(spec.alerting.rules, engine.keys());
  if (idle.length > 0)
    o.log.warn(
      { rules: idle, example: engine.keys().next().value },
      'Alert rules that match no stream of the input (check their streams glob).',
    );
  if (written === 0) {
    const facts = { ...summary, observations: engine.stats.observations, spacingMs: await fileSpacingMs(cfg).catch(() => NaN) };
    o.log.warn({ input: o.input, reason: nothingWrittenReason(spec, facts) }, 'Replay wrote no rows.');
  } else if (tally.scored === 0) {
    o.log.warn({ input: o.input, unscored: summary.unscored }, 'Replay scored no row (see unscored for why).');
  }
  return summary;
}

export interface ReplayLoopOptions {
  readonly signal?: AbortSignal;
  readonly afterBatch?: (rows: number) => Promise<void> | void;
  /** The input's source config (default: replaySourceConfig of the engine's spec). */
  readonly source?: FileSourceConfig;
  /** Told the offline fit's window (prepareModel's onFit). */
  readonly onFit?: (steps: number, streams: readonly string[]) => void;
}

/**
 * The loop of `tidecast replay` without its output file: prepares the engine's model as the daemon
 * does (prepareModel over the replay's source config), feeds every batch of the input unpaced
 * through the daemon's operators (intake, features, forecast, alertOn), then closes the open steps
 * and settles the alert engine (endOfData). Results reach the engine's listener; returns the data rows read.
 * Benchmarks drive the engine through this so that they measure exactly what replay serves.
 */
export async function replayInto(engine: PipelineEngine, input: string, log: Logger, o: ReplayLoopOptions = {}): Promise<number> {
  const spec = engine.spec;
  const cfg = o.source ?? replaySourceConfig(spec, input);
  // The rows the offline fit trains on are left unscored (in-sample), as in the daemon.
  await prepareModel(spec, engine.runner, [cfg], log, undefined, (steps, streams) => {
    engine.setFitWindow(steps, streams);
    o.onFit?.(steps, streams);
  });
  // training.online: retraining as in the daemon (event time by default: the output stays a function of the input).
  const retraining = await ReplayRetraining.start(engine, log);
  const source = new FileSource(cfg, { name: 'replay', paced: false });
  let rows = 0;
  // The daemon's operators; the outputs reach the engine's listener (nothing is taken per batch).
  const none = { take: () => NO_OUTPUTS };
  const signal = o.signal ?? new AbortController().signal;
  const run$ = fromBatches('replay', source.batches(signal), signal).pipe(
    intake(engine),
    features(engine),
    forecast(engine, none),
    endOfData(engine, none),
    alertOn(engine.alerting, none), // settles the alert engine after the last batch
    concatMap(async (b) => {
      if (!b.endOfData) {
        rows = b.input.position ?? rows;
        retraining?.afterBatch();
        await o.afterBatch?.(rows);
      }
      b.release();
      return b;
    }),
  );
  try {
    await lastValueFrom(run$, { defaultValue: undefined });
  } finally {
    const summary = await retraining?.close();
    if (summary !== undefined) log.info(summary, 'Retraining during the replay.');
  }
  return rows;
}

/** One line per stream of a head row (see REPLAY_HEAD_HEADER). */
export function headCsvRows(r: HeadRow): string[] {
  const c = r.keys.length;
  const time = new Date(r.t).toISOString();
  const lines: string[] = [];
  for (let j = 0; j < c; j++) {
    const f: string[] = [];
    for (let i = j; i < r.forecasts.length; i += c) f.push(num(r.forecasts[i]));
    lines.push(`${time},${csvCell(r.keys[j])},${num(r.actual[j])},${num(r.previous[j])},,,,${r.imputed[j]},,,,online_head,${f.join(';')}`);
  }
  return lines;
}

/** Data rows of a file (lines minus a CSV header), for progress totals. */
export async function countRows(path: string, csv: boolean): Promise<number> {
  let lines = 0;
  let lastNl = true;
  for await (const buf of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = 0; i < buf.length; i++) if (buf[i] === 10) lines++;
    lastNl = buf.length === 0 ? lastNl : buf[buf.length - 1] === 10;
  }
  if (!lastNl) lines++;
  return Math.max(0, lines - (csv ? 1 : 0));
}
