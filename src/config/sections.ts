import { z } from 'zod';

// The per-pipeline sections of a pipeline file that are not connectors or alert rules. snake_case,
// units in names, every field described, defaults where sensible.

export const ModelSection = z
  .object({
    cell: z.enum(['rnn', 'lstm', 'lstm-peephole', 'gru']).describe('Recurrent cell.'),
    layers: z.number().int().min(1).max(8).default(1).describe('Stacked recurrent layers.'),
    units: z.number().int().min(1).max(1024).describe('Hidden units per layer.'),
    horizon: z.number().int().min(1).max(512).describe('Steps ahead forecast at every step.'),
    seed: z.number().int().nonnegative().default(1).describe('Seed of the initial weights (fit and init are deterministic).'),
    path: z.string().min(1).optional().describe('Trained model: a tfjs-layers directory (or its model.json) written by `tidecast train`; fit at start when absent.'),
    interval_z: z.number().positive().default(1.96).describe('Half-width of the forecast interval in residual scales (1.96: about 95%).'),
  })
  .strict();

export const OfflineTrainingSection = z
  .object({
    enabled: z.boolean().default(true).describe('Fit at start when the model has no trained file.'),
    steps: z.number().int().min(8).default(512).describe('Steps per stream from the start of the data used for the fit.'),
    max_streams: z.number().int().min(1).default(32).describe('Most streams used for the fit.'),
    epochs: z.number().int().min(1).default(8).describe('Passes over the fit window.'),
    tbptt_steps: z.number().int().min(2).default(32).describe('Truncated backpropagation window length.'),
    learning_rate: z.number().positive().default(0.01).describe('Adam learning rate.'),
    max_time_ms: z.number().int().positive().default(20_000).describe('Stop the fit after this long (the epoch in progress finishes).'),
  })
  .strict();

export const OnlineTrainingSection = z
  .object({
    enabled: z.boolean().default(false).describe('Refit in the background on recent data and swap if the candidate wins.'),
    every_steps: z.number().int().min(1).default(1_000).describe('Steps (over all streams) between retraining runs.'),
    window_steps: z.number().int().min(8).default(512).describe('Recent steps per stream a retraining run learns from.'),
  })
  .strict();

export const TrainingSection = z
  .object({
    offline: OfflineTrainingSection.default(OfflineTrainingSection.parse({})),
    online: OnlineTrainingSection.default(OnlineTrainingSection.parse({})),
  })
  .strict();

export const StateSection = z
  .object({
    dir: z.string().min(1).describe('Directory for checkpoints (per-stream recurrent and pipeline state, source positions).'),
    checkpoint_interval_ms: z
      .number()
      .int()
      .min(100)
      .default(30_000)
      .describe('Wall-clock time between periodic checkpoints; one is always written on shutdown.'),
  })
  .strict();

export const HttpSection = z
  .object({
    port: z.number().int().min(0).max(65_535).default(8080).describe('Port of the API and dashboard (0: any free port).'),
    host: z.string().default('0.0.0.0').describe('Interface to listen on.'),
  })
  .strict();

export type ModelSection = z.infer<typeof ModelSection>;
export type TrainingSection = z.infer<typeof TrainingSection>;
export type StateSection = z.infer<typeof StateSection>;
export type HttpSection = z.infer<typeof HttpSection>;
