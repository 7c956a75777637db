import { TidecastError } from '../core/errors.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatIssue } from '../config/config-issue.js';
import { ConfigError, loadPipelineFiles } from '../config/load-pipeline.js';
import { fileSources, PATHLESS_FILE_SOURCE, pathlessFileSources } from '../config/file-sources.js';
import { isAutoStep } from '../operators/step-setting.js';
import { validatePipelineFile } from '../config/validate.js';
import { createLogger, type LogLevel } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { startDaemon } from '../runtime/daemon.js';
import { countRows, replayFile, replaySourceConfig, type ReplayColumns } from '../runtime/replay/replay.js';
import { defaultAlertsPath } from '../runtime/replay/replay-alerts.js';
import { isFolder, listReplayInputs, replayFolder } from '../runtime/replay/replay-folder.js';
import { createProgress } from './progress.js';
import { trainCommand } from './train.js';
import { modelsCommand } from './models-command.js';
import { repairCommand } from './repair-command.js';

// The `tidecast` command line. Pipelines are described by files; how the process runs (log level,
// port override) by flags.

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level').choices(LEVELS).default('info');
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return n;
}

export function buildProgram(): Command {
  const program = new Command('tidecast')
    .description('Streaming time-series forecasting: recurrent models per stream, live alerts on forecast deviations.')
    .version('0.1.0')
    .showHelpAfterError();

  program
    .command('run')
    .description('Run one or more pipelines as a daemon: API and dashboard on one port, graceful stop on SIGTERM/SIGINT.')
    .argument('<pipeline...>', 'pipeline files (each may hold one pipeline or a `pipelines:` list)')
    .option('-p, --port <port>', 'HTTP port, overriding the files (0: any free port)', port)
    .option('--host <host>', 'interface to listen on, overriding the files')
    .addOption(logLevelOption())
    .action(async (files: string[], opts: { port?: number; host?: string; logLevel: LogLevel }) => {
      const log = createLogger({ level: opts.logLevel });
      const loaded = await loadOrExit(files);
      // A file source without a path serves replay/train only (validate warns about it).
      const refused = loaded.flatMap((f) =>
        f.pipelines.flatMap((p) => [
          ...pathlessFileSources(p).map((i) => `${f.file}: pipeline ${p.name}: sources[${i}]: ${PATHLESS_FILE_SOURCE}`),
          ...(isAutoStep(p) && fileSources(p).length === 0
            ? [`${f.file}: pipeline ${p.name}: step_ms: "auto" needs a file source with a path to infer the step from`]
            : []),
        ]),
      );
      if (refused.length > 0) {
        for (const line of refused) process.stderr.write(`${line}\n`);
        process.exit(2);
      }
      const daemon = await startDaemon({
        files: loaded,
        log,
        metrics: createMetrics({ collectDefault: true }),
        port: opts.port,
        host: opts.host,
      });
      const onSignal = (sig: NodeJS.Signals) => {
        void daemon.stop(sig).then(() => {
          log.flush?.();
          process.exit(daemon.exitCode); // non-zero when a final checkpoint failed
        });
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      await daemon.stopped;
    });

  program
    .command('validate')
    .description('Check pipeline files: every problem at once, as file:line:col path: message (hint).')
    .argument('<pipeline...>', 'pipeline files')
    .action(async (files: string[]) => {
      let bad = 0;
      for (const file of files) {
        const r = await validatePipelineFile(file);
        for (const w of r.warnings ?? []) process.stderr.write(`${formatIssue(w)}\n`);
        if (r.ok) {
          process.stdout.write(`${file}: ok (${r.value.pipelines.map((p) => p.name).join(', ')})\n`);
        } else {
          bad++;
          for (const i of r.issues) process.stderr.write(`${formatIssue(i)}\n`);
        }
      }
      process.exitCode = bad > 0 ? 1 : 0;
    });

  program
    .command('replay')
    .description(
      'Run the daemon engine over a file (or every file of a folder) as fast as possible; writes one CSV row per forecast step and the alerts the rules raise.',
    )
    .argument('<pipeline>', 'pipeline file (its first pipeline, or --pipeline)')
    .requiredOption(
      '-i, --input <path>',
      "input CSV (or JSON lines) with the columns of the pipeline's file source; or a folder: every .csv/.jsonl/.json under it, each replayed with fresh state",
    )
    .requiredOption(
      '-o, --output <path>',
      'output CSV: timestamp,stream,actual,forecast,lower,upper,anomaly_score,imputed,... (a folder when --input is one)',
    )
    .option('--pipeline <name>', 'which pipeline of a multi-pipeline file')
    .option(
      '--alerts <path>',
      "alerts file, JSON lines as the daemon's file sink writes them (default: <output>.alerts.jsonl; with a folder input, a folder)",
    )
    .option('--no-alerts', 'write no alerts file')
    .addOption(
      new Option('--horizons <which>', 'one: the 1-step layout; all: one row per forecast with forecast_1..H, lower_1..H, upper_1..H')
        .choices(['one', 'all'])
        .default('one'),
    )
    .addOption(new Option('--format <format>', "input format (default: by extension, else the file source's)").choices(['csv', 'json']))
    .option('--key-column <name>', 'column with the stream id (overrides the file source)')
    .option('--no-key-column', 'a wide file: every value column is a stream (overrides the file source)')
    .option('--time-column <name>', 'column with the event time (overrides the file source)')
    .option('--value-columns <names>', 'comma-separated value columns (overrides the file source)', (v: string) =>
      v
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== ''),
    )
    .option('--key-prefix <prefix>', 'prepended to every stream key (overrides the file source)')
    .addOption(logLevelOption())
    .action(async (file: string, opts: ReplayCliOptions) => {
      const log = createLogger({ level: opts.logLevel, destination: process.stderr as never });
      const spec = pickPipeline(await loadOrExit([file]), opts.pipeline);
      const columns: ReplayColumns = {
        ...(opts.format && { format: opts.format }),
        ...(opts.keyColumn !== undefined && { key_column: opts.keyColumn === false ? undefined : opts.keyColumn }),
        ...(opts.timeColumn && { time_column: opts.timeColumn }),
        ...(opts.valueColumns && { value_columns: opts.valueColumns }),
        ...(opts.keyPrefix !== undefined && { key_prefix: opts.keyPrefix }),
      };
      const common = { log, columns, horizons: opts.horizons };
      try {
        if (await isFolder(opts.input)) {
          const inputs = await listReplayInputs(opts.input, opts.output);
          let total = 0;
          for (const rel of inputs)
            total += await countRows(join(opts.input, rel), replaySourceConfig(spec, rel, columns).format === 'csv');
          const progress = createProgress({ label: 'Replay', unit: 'rows', total, log });
          const r = await replayFolder(spec, {
            ...common,
            input: opts.input,
            output: opts.output,
            alerts: opts.alerts,
            onProgress: (n) => progress.update(n),
            onFile: (input, output, summary) => log.info({ ...summary, input, output }, 'Replay written.'),
          });
          progress.finish(r.total.rows);
          if (r.files.length === 0) log.warn({ input: opts.input }, 'Replay found no .csv, .jsonl or .json file in the folder.');
          log.info({ ...r.total, output: opts.output }, 'Replay of the folder written.');
          return;
        }
        const src = replaySourceConfig(spec, opts.input, columns);
        const total = await countRows(opts.input, src.format === 'csv');
        const progress = createProgress({ label: 'Replay', unit: 'rows', total, log });
        const alerts = opts.alerts === false ? undefined : (opts.alerts ?? defaultAlertsPath(opts.output));
        const summary = await replayFile(spec, {
          ...common,
          input: opts.input,
          output: opts.output,
          alerts,
          onProgress: (n) => progress.update(n),
        });
        progress.finish(summary.rows);
        log.info({ ...summary, output: opts.output, ...(alerts && { alertsFile: alerts }) }, 'Replay written.');
      } catch (err) {
        // Bad input or settings (no step to infer, unreadable columns): one line, exit 2.
        log.error({ err: (err as Error).message, input: opts.input }, 'Replay failed.');
        log.flush?.();
        process.exitCode = 2;
      }
    });

  trainCommand(program, { loadOrExit, pickPipeline, logLevelOption });
  modelsCommand(program, { loadOrExit, pickPipeline, logLevelOption });
  repairCommand(program, { loadOrExit, pickPipeline, logLevelOption });
  return program;
}

async function loadOrExit(files: readonly string[]) {
  try {
    return await loadPipelineFiles(files);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const i of err.issues) process.stderr.write(`${formatIssue(i)}\n`);
      process.exit(2);
    }
    throw err;
  }
}

function pickPipeline(files: Awaited<ReturnType<typeof loadOrExit>>, name: string | undefined) {
  const all = files.flatMap((f) => f.pipelines);
  const spec = name === undefined ? all[0] : all.find((p) => p.name === name);
  if (spec === undefined) {
    process.stderr.write(`No pipeline "${name}"; the file has ${all.map((p) => p.name).join(', ')}.\n`);
    process.exit(2);
  }
  return spec;
}

interface ReplayCliOptions {
  input: string;
  output: string;
  pipeline?: string;
  alerts?: string | false;
  horizons: 'one' | 'all';
  format?: 'csv' | 'json';
  keyColumn?: string | false;
  timeColumn?: string;
  valueColumns?: string[];
  keyPrefix?: string;
  logLevel: LogLevel;
}

export type CliHelpers = {
  loadOrExit: typeof loadOrExit;
  pickPipeline: typeof pickPipeline;
  logLevelOption: typeof logLevelOption;
};

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync([...argv]);
}

/**
 * main() as the `tidecast` command runs it: a refusal the user must act on (invalid settings, a
 * checkpoint from other settings) is its message and exit 2, no stack; anything else exits 1.
 */
export async function runMain(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await main(argv);
  } catch (err) {
    if (err instanceof TidecastError && (err.code === 'config_invalid' || err.code === 'state_corrupt')) {
      process.stderr.write(`tidecast: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void runMain(process.argv);
