import { InvalidArgumentError, type Command } from 'commander';
import { createLogger, type LogLevel } from '../telemetry/logger.js';
import { REPAIR_DEFAULTS } from '../repair/gap-repairer.js';
import { repairFile } from '../runtime/repair-file.js';
import type { CliHelpers } from './main.js';

// `tidecast repair <pipeline> --input <csv> --output <csv>`: fills gaps in backfilled history with
// the bidirectional repair (src/repair), trained on the file itself; filled values are marked.

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive integer');
  return n;
}

interface RepairOpts {
  input: string;
  output: string;
  pipeline?: string;
  maxGap: number;
  context: number;
  batches: number;
  units: number;
  cell: 'gru' | 'lstm';
  seed: number;
  logLevel: LogLevel;
}

export function repairCommand(program: Command, h: CliHelpers): void {
  program
    .command('repair')
    .description(
      "Fill gaps in a history file with a bidirectional GRU/LSTM trained on the file itself; writes stream,timestamp,value,imputed on the pipeline's step grid (observed values unchanged).",
    )
    .argument('<pipeline>', 'pipeline file (its file source says how to read the input, step_ms the grid)')
    .requiredOption('-i, --input <file>', "history with the columns of the pipeline's file source (or stream,timestamp,value)")
    .requiredOption('-o, --output <file>', 'repaired CSV: stream,timestamp,value,imputed (1 = filled)')
    .option('--pipeline <name>', 'which pipeline of a multi-pipeline file')
    .option('--max-gap <steps>', 'longest gap filled (longer ones stay empty)', positiveInt, REPAIR_DEFAULTS.maxGapSteps)
    .option('--context <steps>', 'steps read on each side of a gap', positiveInt, REPAIR_DEFAULTS.contextSteps)
    .option('--batches <n>', 'training batches (the fixed budget)', positiveInt, REPAIR_DEFAULTS.trainBatches)
    .option('--units <n>', 'units per direction', positiveInt, REPAIR_DEFAULTS.units)
    .option(
      '--cell <cell>',
      'gru or lstm',
      (v: string) => {
        if (v !== 'gru' && v !== 'lstm') throw new InvalidArgumentError('gru or lstm');
        return v;
      },
      REPAIR_DEFAULTS.cell,
    )
    .option('--seed <n>', 'seed of the init and the training draws', (v: string) => Number(v), REPAIR_DEFAULTS.seed)
    .addOption(h.logLevelOption())
    .action(async (file: string, o: RepairOpts) => {
      const log = createLogger({ level: o.logLevel });
      const spec = h.pickPipeline(await h.loadOrExit([file]), o.pipeline);
      const summary = await repairFile(spec, {
        input: o.input,
        output: o.output,
        settings: { maxGapSteps: o.maxGap, contextSteps: o.context, trainBatches: o.batches, units: o.units, cell: o.cell, seed: o.seed },
      });
      log.info(
        { ...summary, output: o.output },
        `Repaired ${summary.filled} values in ${summary.gapsFilled} gaps (${summary.gapsLeft} gaps left: longer than --max-gap or at an end).`,
      );
      if (!summary.fit.useNetwork)
        log.warn(
          summary.fit,
          'The network did not beat the seasonal-linear baseline on held-out windows: gaps were filled by the baseline.',
        );
      log.flush?.();
    });
}
