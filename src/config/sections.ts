import { z } from 'zod';
import { KafkaChangelogConfig } from '../../connectors/kafka/changelog/changelog-config.js';
import { EsnSection } from './esn-section.js';
import { OnlineHeadSection } from './online-head-section.js';

// The per-pipeline sections of a pipeline file that are not connectors or alert rules. snake_case,
// units in names, every field described, defaults where sensible.

export const ReadoutSection = z
  .object({
    lags: z.number().int().min(0).max(64).default(6).describe('Lagged changes of the level used as features.'),
    season_steps: z
      .number()
      .int()
      .min(0)
      .max(2_000)
      .optional()
      .describe('Steps per season for the seasonal feature (default: one day of steps when that is 2..400, else none; 0: none).'),
    calendar: z
      .boolean()
      .optional()
      .describe('Time-of-day sin/cos of the target time as features (default: on when a step is shorter than a day).'),
    forgetting: z.number().gt(0.9).max(1).default(0.9995).describe('RLS forgetting factor: memory of about 1 / (1 - forgetting) steps.'),
    prior_variances: z
      .array(z.number().positive())
      .min(1)
      .max(4)
      .default([0.01])
      .describe(
        'One readout per value (prior variance of its weights: small = close to persistence); per stream and horizon the one with the lowest recent error serves, persistence included.',
      ),
    error_half_life_steps: z
      .number()
      .positive()
      .default(96)
      .describe('Half-life of the recent errors that choose among the readouts and persistence.'),
    band_half_life_steps: z
      .number()
      .positive()
      .default(96)
      .describe('Half-life of the residual scale behind the bands (calibrated online per stream and horizon).'),
  })
  .strict();

export const ValueRange = z.union([z.literal('positive'), z.object({ min: z.number().optional(), max: z.number().optional() }).strict()]);

export const ModelSection = z
  .object({
    cell: z
      .enum(['rnn', 'lstm', 'lstm-peephole', 'gru', 'esn'])
      .describe('Recurrent cell (esn: echo state network, a fixed seeded reservoir whose readout alone is fitted, see model.esn).'),
    layers: z.number().int().min(1).max(8).default(1).describe('Stacked recurrent layers.'),
    units: z.number().int().min(1).max(1024).describe('Hidden units per layer.'),
    horizon: z.number().int().min(1).max(512).describe('Steps ahead forecast at every step.'),
    seed: z.number().int().nonnegative().default(1).describe('Seed of the initial weights (fit and init are deterministic).'),
    path: z
      .string()
      .min(1)
      .optional()
      .describe('Trained model: a tfjs-layers directory (or its model.json) written by `tidecast train`; fit at start when absent.'),
    decoder: z
      .enum(['direct', 'seq2seq'])
      .default('direct')
      .describe(
        'How the horizon is forecast: direct = a dense head on the recurrent state gives every step at once; seq2seq = an encoder (lstm/gru) reads the last encoder_window_steps feature vectors and a decoder unrolls the horizon feeding back its own means (fitted offline with scheduled sampling).',
      ),
    encoder_window_steps: z
      .number()
      .int()
      .min(2)
      .max(512)
      .default(48)
      .describe('decoder seq2seq: steps of features the encoder reads before each forecast (kept per stream in its state).'),
    cold_start_neighbours: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(0)
      .describe(
        "Cold start (0: off): after the offline fit, each fitted stream's embedding is the recurrent state it reached over the fit window; a stream starts (and restarts after a break) from its own embedding, or, if it was not fitted, from the mean of this many fitted streams' embeddings whose keys share the most path segments with it, instead of from zeros.",
      ),
    interval_z: z.number().positive().default(1.96).describe('Half-width of the forecast interval in residual scales (1.96: about 95%).'),
    forecaster: z
      .enum(['hybrid', 'readout', 'recurrent'])
      .default('hybrid')
      .describe(
        "What is served: hybrid = per-stream online readouts per horizon over engineered features and the recurrent model's forecast, with calibrated bands; readout = the same readouts without the recurrent model; recurrent = the recurrent model's own head alone.",
      ),
    readout: ReadoutSection.default(ReadoutSection.parse({})).describe('Settings of the online readouts (forecaster hybrid or readout).'),
    range: ValueRange.optional().describe('Values the series can take: forecasts and bands are kept inside (e.g. { min: 0 } or positive).'),
    esn: EsnSection.optional().describe('Echo state network settings (model.cell: esn; defaults when absent).'),
    classify: z
      .boolean()
      .default(false)
      .describe(
        'Per-stream classifiers over the stream and its forecasts: the regime of the coming horizon (falling / flat / rising, in /api/streams/:id) and the kind of a deviation (spike / level shift / variance / stuck, on alert events as deviationKinds), learned online and leak-free.',
      ),
    online_head: OnlineHeadSection.optional().describe(
      'Multivariate online head: the listed streams forecast together by online RLS readouts (replay writes its forecasts; absent: off).',
    ),
  })
  .strict();

export const OfflineTrainingSection = z
  .object({
    enabled: z.boolean().default(true).describe('Fit at start when the model has no trained file.'),
    steps: z
      .number()
      .int()
      .min(8)
      .default(512)
      .describe('Steps per stream from the start of the data used for the fit (never scored for alerts).'),
    max_streams: z
      .number()
      .int()
      .min(1)
      .default(32)
      .describe(
        'Streams per training batch: every epoch trains on all streams read, in batches of this many drawn by a seeded shuffle (fair: each stream once per epoch).',
      ),
    read_streams: z
      .number()
      .int()
      .min(1)
      .default(4096)
      .describe('Most streams whose first `steps` steps are read for the fit (memory bound; the first ones seen).'),
    epochs: z.number().int().min(1).default(8).describe('Passes over the fit window of every stream read.'),
    max_batches: z
      .number()
      .int()
      .min(1)
      .default(64)
      .describe('Most training batches in all (bounds the work with many streams: the last epoch stops early, logged).'),
    tbptt_steps: z.number().int().min(2).default(32).describe('Truncated backpropagation window length.'),
    learning_rate: z.number().positive().default(0.01).describe('Adam learning rate.'),
    max_time_ms: z
      .number()
      .int()
      .positive()
      .default(60_000)
      .describe(
        "Safety cap on the fit's wall time (the batch in progress finishes; logged as a warning: the fit then depends on timing). The budget is epochs and max_batches.",
      ),
  })
  .strict();

export const OnlineTrainingSection = z
  .object({
    enabled: z.boolean().default(false).describe('Refit in the background on recent data and swap if the candidate wins.'),
    every_steps: z.number().int().min(1).default(1_000).describe('Steps (over all streams) between retraining runs.'),
    window_steps: z.number().int().min(8).default(512).describe('Recent steps per stream a retraining run learns from.'),
    every_ms: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Wall time between retraining runs (0: off). Above 0, retraining is wall-clock driven and not deterministic.'),
    deterministic: z
      .boolean()
      .optional()
      .describe(
        'Retrain in event time: a run triggered at step K trains a fixed number of epochs with a fixed seed, and its result is applied after step K + apply_after_steps (inference waits for the worker if it is not done), so replays and the daemon fed the same records swap at the same steps (default: true unless every_ms > 0).',
      ),
    apply_after_steps: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        "Deterministic mode: steps (over all streams) after a run's trigger at which its result is applied (default: every_steps).",
      ),
    drift_factor: z
      .number()
      .nonnegative()
      .default(2)
      .describe(
        'Retrain when the rolling one-step error rises this many times over its level after the last promotion, at most once per drift_window_steps (0: off).',
      ),
    drift_window_steps: z.number().int().min(1).default(200).describe('Steps after a promotion whose mean error is the drift baseline.'),
    promotion_margin: z
      .number()
      .min(0)
      .max(1)
      .default(0.02)
      .describe("Promote when the challenger's validation loss < champion's · (1 - margin)."),
    rewarm_steps: z
      .number()
      .int()
      .nonnegative()
      .default(48)
      .describe('Recent steps per stream replayed through new weights before a swap (0: no re-warm).'),
    patience_epochs: z.number().int().min(1).default(2).describe('Epochs without a validation improvement before a run stops early.'),
    max_epochs: z.number().int().min(1).optional().describe('Most passes per run (default: training.offline.epochs).'),
    max_time_ms: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Wall-clock mode only: longest a run trains (default: training.offline.max_time_ms). Deterministic runs are bounded by max_epochs alone.',
      ),
    warm_start: z.boolean().default(true).describe("Start from the champion's weights (false: from a fresh seeded init)."),
    tbptt_k1_steps: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('TBPTT k1: steps between weight updates (default: training.offline.tbptt_steps).'),
    tbptt_k2_steps: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('TBPTT k2: steps backpropagated through (default: training.offline.tbptt_steps).'),
    clip_norm: z.number().positive().default(1).describe('Global gradient norm clip.'),
    learning_rate: z.number().positive().optional().describe('Adam learning rate (default: training.offline.learning_rate).'),
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
    models_topic: KafkaChangelogConfig.shape.models_topic.describe(
      'Compacted Kafka topic of model versions, keyed by pipeline (connection: the first Kafka source or sink): with training.online, every promotion is published and every instance swaps to the versions others publish.',
    ),
  })
  .strict();

/** One API token: its secret is read from an environment variable or a file, never written in the pipeline file. */
export const HttpTokenSection = z
  .object({
    name: z.string().min(1).optional().describe('Label for logs and error messages (the token itself is never logged).'),
    scope: z
      .enum(['read', 'write'])
      .describe('read: GET endpoints and /metrics; write: also ingest, silences and model promote/rollback/train.'),
    env: z.string().min(1).optional().describe('Environment variable holding the token.'),
    file: z.string().min(1).optional().describe('File holding the token (surrounding whitespace is trimmed).'),
  })
  .strict()
  .refine((t) => (t.env === undefined) !== (t.file === undefined), { message: 'give exactly one of env or file' });

export const HttpAuthSection = z.union([
  z.literal('none').describe('No tokens, said explicitly: needed to serve a non-loopback interface without tokens.'),
  z.object({ tokens: z.array(HttpTokenSection).min(1).describe('Bearer tokens accepted by the API.') }).strict(),
]);

export const HttpTlsSection = z
  .object({
    cert: z.string().min(1).describe('PEM certificate (chain) file.'),
    key: z.string().min(1).describe('PEM private key file.'),
  })
  .strict();

export const HttpSection = z
  .object({
    port: z.number().int().min(0).max(65_535).default(8080).describe('Port of the API and dashboard (0: any free port).'),
    host: z
      .string()
      .default('127.0.0.1')
      .describe('Interface to listen on (loopback by default: the API has write endpoints; 0.0.0.0 to serve other machines).'),
    auth: HttpAuthSection.optional().describe(
      'Bearer tokens with read or write scope, or "none". A non-loopback host needs tokens or an explicit "none".',
    ),
    tls: HttpTlsSection.optional().describe('Serve HTTPS with this certificate and key.'),
    allowed_origins: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Browser origins besides the API\'s own allowed to write (e.g. a reverse proxy\'s public origin, "https://tidecast.example.com").',
      ),
  })
  .strict();

/** Bounded work per HTTP ingest request and per pipeline (docs/api.md, "Limits"). */
export const LimitsSection = z
  .object({
    max_streams: z
      .number()
      .int()
      .min(1)
      .default(20_000)
      .describe('Most streams the pipeline holds; records of further new streams are rejected (stream_limit, HTTP 429).'),
    max_new_streams_per_request: z
      .number()
      .int()
      .min(1)
      .default(1_000)
      .describe('Most new streams one ingest request may create (too_many_new_streams, HTTP 429).'),
    max_stream_id_length: z
      .number()
      .int()
      .min(1)
      .max(65_536)
      .default(256)
      .describe('Longest stream id in characters (stream_id_too_long, HTTP 400).'),
    max_records_per_request: z
      .number()
      .int()
      .min(1)
      .default(100_000)
      .describe('Most records in one ingest request; a larger request is refused whole (too_many_records, HTTP 413).'),
    max_future_ms: z
      .number()
      .int()
      .nonnegative()
      .default(86_400_000)
      .describe('Ingested records whose event time is further than this ahead of the wall clock are rejected (future_record).'),
    history_points: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .default(60)
      .describe(
        'Recent actuals and one-step forecasts the API keeps per stream (float32, 33 bytes a point); 0 keeps only the last actual and the latest forecast.',
      ),
    max_resident_streams: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Most streams kept in memory: at each checkpoint, the longest idle streams beyond it (those holding no record and no open step) leave memory for a spill file in state.dir and come back, unchanged, with their next record. Absent: no limit.',
      ),
    evict_idle_steps: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        "At each checkpoint, streams whose newest record is this many steps behind the pipeline's newest leave memory as with max_resident_streams. Absent: streams are not evicted by age.",
      ),
  })
  .strict();

export type ModelSection = z.infer<typeof ModelSection>;
export type TrainingSection = z.infer<typeof TrainingSection>;
export type StateSection = z.infer<typeof StateSection>;
export type HttpSection = z.infer<typeof HttpSection>;
export type HttpAuthSection = z.infer<typeof HttpAuthSection>;
export type HttpTlsSection = z.infer<typeof HttpTlsSection>;
export type LimitsSection = z.infer<typeof LimitsSection>;
