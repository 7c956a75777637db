import { InvalidArgumentError, type Command } from 'commander';
import type { LogLevel } from '../telemetry/logger.js';
import { createLogger } from '../telemetry/logger.js';
import { collectFitData } from '../runtime/fit-data.js';
import { writeModelFile } from '../engine/model-file.js';
import { ModelRunner } from '../engine/model-runner.js';
import { offlineFit } from '../runtime/offline-fit.js';
import { countRows, replaySourceConfig } from '../runtime/replay/replay.js';
import { resolveAutoStep } from '../runtime/infer-step.js';
import { shapingFor } from '../engine/shaping.js';
import type { CliHelpers } from './main.js';
import { createProgress } from './progress.js';

// `tidecast train`: the offline fit on a file, written as a model file that model.path loads, so
// a pipeline goes live with a trained model instead of fitting at start.

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive integer');
  return n;
}

interface TrainOpts {
  input: string;
  output?: string;
  pipeline?: string;
  epochs?: number;
  steps?: number;
  maxTimeMs?: number;
  logLevel: LogLevel;
}

export function trainCommand(program: Command, h: CliHelpers): void {
  program
    .command('train')
    .description("Fit the pipeline's model offline on a file and write it (tfjs-layers format) for model.path.")
    .argument('<pipeline>', 'pipeline file')
    .requiredOption('-i, --input <file>', "training data with the columns of the pipeline's file source (or stream,timestamp,value)")
    .option('-o, --output <dir>', 'model directory to write, tfjs-layers format (default: model.path, else var/models/<pipeline>)')
    .option('--pipeline <name>', 'which pipeline of a multi-pipeline file')
    .option('--epochs <n>', 'epochs (default: training.offline.epochs)', positiveInt)
    .option('--steps <n>', 'steps per stream to learn from (default: training.offline.steps)', positiveInt)
    .option('--max-time-ms <ms>', 'time budget (default: training.offline.max_time_ms)', positiveInt)
    .addOption(h.logLevelOption())
    .action(async (file: string, opts: TrainOpts) => {
      const log = createLogger({ level: opts.logLevel, destination: process.stderr as never });
      const base = h.pickPipeline(await h.loadOrExit([file]), opts.pipeline);
      const offline = {
        ...base.training.offline,
        epochs: opts.epochs ?? base.training.offline.epochs,
        steps: opts.steps ?? base.training.offline.steps,
        max_time_ms: opts.maxTimeMs ?? base.training.offline.max_time_ms,
      };
      const cfg = replaySourceConfig(base, opts.input);
      // step_ms: auto is the input's own spacing, as in replay.
      const resolved = await resolveAutoStep(base, [cfg]);
      if (resolved !== base) log.info({ step_ms: resolved.step_ms, input: opts.input }, 'step_ms inferred from the input.');
      const spec = { ...resolved, training: { ...base.training, offline } };
      const total = await countRows(opts.input, cfg.format === 'csv');
      const reading = createProgress({ label: 'Reading training data', unit: 'rows', total, log });
      const data = await collectFitData(spec, [cfg], offline.steps, offline.read_streams, (n) => reading.update(n));
      reading.finish(data.rows);
      const runner = new ModelRunner(spec.model, shapingFor(spec, () => {}).inputSize);
      const fitting = createProgress({ label: 'Training', unit: 'epochs', total: offline.epochs, log });
      const report = offlineFit(spec, runner, data, (epoch, loss) => {
        fitting.update(epoch);
        log.debug({ epoch, loss }, 'Epoch done.');
      });
      fitting.finish(report.epochs);
      const out = opts.output ?? spec.model.path ?? `var/models/${spec.name}`;
      await writeModelFile(out, runner);
      log.info({ ...report, output: out }, 'Model trained and written.');
    });
}
