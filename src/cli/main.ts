import { Command, InvalidArgumentError, Option } from 'commander';
import { pathToFileURL } from 'node:url';
import { formatIssue } from '../config/config-issue.js';
import { ConfigError, loadPipelineFiles } from '../config/load-pipeline.js';
import { validatePipelineFile } from '../config/validate.js';
import { createLogger, type LogLevel } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { startDaemon } from '../runtime/daemon.js';
import { countRows, replayFile, replaySourceConfig } from '../runtime/replay.js';
import { createProgress } from './progress.js';
import { trainCommand } from './train.js';
import { modelsCommand } from './models-command.js';

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
      const daemon = await startDaemon({ files: loaded, log, metrics: createMetrics({ collectDefault: true }), port: opts.port, host: opts.host });
      const onSignal = (sig: NodeJS.Signals) => {
        void daemon.stop(sig).then(() => {
          log.flush?.();
          process.exit(0);
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
    .description('Run the daemon engine over a file as fast as possible; writes one CSV row per forecast step.')
    .argument('<pipeline>', 'pipeline file (its first pipeline, or --pipeline)')
    .requiredOption('-i, --input <file>', 'input CSV (or JSON lines) with the columns of the pipeline\'s file source')
    .requiredOption('-o, --output <file>', 'output CSV: timestamp,stream,actual,forecast,lower,upper,anomaly_score,imputed (+ forecaster,forecasts with model.online_head)')
    .option('--pipeline <name>', 'which pipeline of a multi-pipeline file')
    .addOption(logLevelOption())
    .action(async (file: string, opts: { input: string; output: string; pipeline?: string; logLevel: LogLevel }) => {
      const log = createLogger({ level: opts.logLevel, destination: process.stderr as never });
      const spec = pickPipeline(await loadOrExit([file]), opts.pipeline);
      const src = replaySourceConfig(spec, opts.input);
      const total = await countRows(opts.input, src.format === 'csv');
      const progress = createProgress({ label: 'Replay', unit: 'rows', total, log });
      const summary = await replayFile(spec, { input: opts.input, output: opts.output, log, onProgress: (n) => progress.update(n) });
      progress.finish(summary.rows);
      log.info({ ...summary, output: opts.output }, 'Replay written.');
    });

  trainCommand(program, { loadOrExit, pickPipeline, logLevelOption });
  modelsCommand(program, { loadOrExit, pickPipeline, logLevelOption });
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

export type CliHelpers = {
  loadOrExit: typeof loadOrExit;
  pickPipeline: typeof pickPipeline;
  logLevelOption: typeof logLevelOption;
};

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync([...argv]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
