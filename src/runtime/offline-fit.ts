import { createHash } from 'node:crypto';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import { Adam } from '../training/optimisers.js';
import { Prng } from '../training/prng.js';
import { SequenceRunner } from '../training/sequence.js';
import { evaluateLoss, TbpttTrainer, type SequenceBatch } from '../training/tbptt.js';
import { esnOfflineFit } from './esn-offline-fit.js';
import { seq2seqOfflineFit } from './seq2seq-offline-fit.js';
import type { FitData } from './fit-data.js';
import type { ModelRunner } from '../engine/model-runner.js';

// The quick fit a pipeline without a trained model file gets at start (and `tidecast train`):
// TBPTT with a Gaussian negative log-likelihood on the mean and log-variance heads, from the
// seeded init. It scales with the number of streams: every epoch covers every stream read, in
// batches of `max_streams` streams drawn by a seeded shuffle (each stream once per epoch), and the
// work is bounded by `max_batches` in all. The budget is counted, not timed, so the fit is a
// function of the data and the settings; `max_time_ms` is only a safety cap, reported when it cuts.
// The checkpoint keeps the result, so a restart never refits.

export interface FitReport {
  /** Epochs begun (the last one may be partial when max_batches or the time cap cut it). */
  readonly epochs: number;
  /** Training batches run, streams per batch, and the streams and steps per stream of the window. */
  readonly batches: number;
  readonly batchStreams: number;
  readonly streams: number;
  readonly steps: number;
  readonly initialLoss: number;
  readonly finalLoss: number;
  readonly seconds: number;
  readonly version: string;
  /** Why the fit stopped before `epochs` full passes, if it did. */
  readonly cut?: 'max_batches' | 'max_time_ms';
  /** model.cell esn: only the readout was fitted, by ridge regression (esn-offline-fit.ts); seq2seq: the encoder-decoder (seq2seq-offline-fit.ts). */
  readonly method?: 'esn-ridge-readout' | 'seq2seq';
  readonly readout?: {
    readonly rows: number;
    readonly washout: number;
    readonly ridge: number;
    readonly trainMse: number;
    readonly zeroMse: number;
  };
}

export function offlineFit(
  spec: PipelineSpec,
  runner: ModelRunner,
  data: FitData,
  onEpoch?: (epoch: number, loss: number) => void,
  now: () => number = () => performance.now(),
): FitReport {
  // An echo state network's reservoir is fixed: its fit is the closed-form readout, never TBPTT.
  if (spec.model.cell === 'esn') return esnOfflineFit(spec, runner, data, now);
  if (runner.seq2seq !== null) return seq2seqOfflineFit(spec, runner, data, now);
  const o = spec.training.offline;
  const t0 = now();
  const model = runner.model;
  const S = data.batch;
  const B = Math.min(o.max_streams, S);
  const perEpoch = Math.ceil(S / B);
  const planned = o.epochs * perEpoch;
  const total = Math.min(planned, o.max_batches);
  const batches = new StreamBatches(data, B, spec.model.seed);
  // One runner for every loss evaluation: a WASM kernel heap never frees.
  const evalRunner = new SequenceRunner(model, data.steps, B);
  const initialLoss = meanLoss(model, batches, evalRunner);
  const k1 = Math.min(o.tbptt_steps, data.steps);
  const trainer = new TbpttTrainer(
    model,
    {
      k1,
      k2: k1,
      loss: 'gaussian-nll',
      optimiser: new Adam({ learningRate: o.learning_rate }),
      clipNorm: 1,
      seed: spec.model.seed,
    },
    B,
  );
  let done = 0;
  let epochLoss = 0;
  let cut: FitReport['cut'] = total < planned ? 'max_batches' : undefined;
  while (done < total) {
    if (now() - t0 >= o.max_time_ms) {
      cut = 'max_time_ms';
      break;
    }
    trainer.resetState();
    epochLoss += trainer.train(batches.next()).meanLoss;
    done++;
    if (done % perEpoch === 0 || done === total) {
      onEpoch?.(Math.ceil(done / perEpoch), epochLoss / (done % perEpoch || perEpoch));
      epochLoss = 0;
    }
  }
  const finalLoss = meanLoss(model, batches, evalRunner);
  const hash = createHash('sha256');
  for (const p of model.params()) hash.update(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
  runner.version = `${spec.model.cell}-fit-${hash.digest('hex').slice(0, 8)}`;
  return {
    epochs: Math.ceil(done / perEpoch),
    batches: done,
    batchStreams: B,
    streams: S,
    steps: data.steps,
    initialLoss,
    finalLoss,
    seconds: (now() - t0) / 1000,
    version: runner.version,
    ...(cut && { cut }),
  };
}

/**
 * Batches of B streams of the fit window: an endless sequence of seeded shuffles of all streams, cut
 * into consecutive groups of B (a group may span two shuffles). With B = all streams, every batch is
 * the whole window, as it was before batching.
 */
export class StreamBatches {
  private order: number[] = [];
  private at = 0;
  private readonly rng: Prng;
  private readonly batch: SequenceBatch;
  private readonly inputs: Float32Array;
  private readonly targets: Float32Array;

  constructor(
    private readonly data: FitData,
    private readonly B: number,
    seed: number,
  ) {
    this.rng = new Prng(seed);
    if (B === data.batch) {
      this.batch = data;
      this.inputs = data.inputs;
      this.targets = data.targets;
    } else {
      this.inputs = new Float32Array(data.steps * B * (data.inputs.length / (data.steps * data.batch)));
      this.targets = new Float32Array(data.steps * B * (data.targets.length / (data.steps * data.batch)));
      this.batch = { steps: data.steps, batch: B, inputs: this.inputs, targets: this.targets };
    }
  }

  next(): SequenceBatch {
    if (this.batch === this.data) return this.data;
    const streams: number[] = [];
    while (streams.length < this.B) {
      if (this.at === this.order.length) this.reshuffle();
      streams.push(this.order[this.at++]);
    }
    this.gather(streams);
    return this.batch;
  }

  /** Every stream in consecutive groups of up to B (for losses over the whole window). */
  *all(): Generator<SequenceBatch> {
    if (this.batch === this.data) {
      yield this.data;
      return;
    }
    for (let from = 0; from < this.data.batch; from += this.B) {
      const streams = Array.from({ length: Math.min(this.B, this.data.batch - from) }, (_, i) => from + i);
      this.gather(streams);
      yield streams.length === this.B
        ? this.batch
        : {
            steps: this.data.steps,
            batch: streams.length,
            inputs: this.inputs.subarray(0, this.data.steps * streams.length * this.inSize),
            targets: this.targets.subarray(0, this.data.steps * streams.length * this.outSize),
          };
    }
  }

  private get inSize(): number {
    return this.data.inputs.length / (this.data.steps * this.data.batch);
  }
  private get outSize(): number {
    return this.data.targets.length / (this.data.steps * this.data.batch);
  }

  private reshuffle(): void {
    const o = Array.from({ length: this.data.batch }, (_, i) => i);
    for (let i = o.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [o[i], o[j]] = [o[j], o[i]];
    }
    this.order = o;
    this.at = 0;
  }

  /** Copies the streams' columns of the window (time-major) into the batch buffers, packed to streams.length. */
  private gather(streams: readonly number[]): void {
    const { steps: N, batch: S } = this.data;
    const inSize = this.inSize;
    const outSize = this.outSize;
    const b = streams.length;
    for (let t = 0; t < N; t++) {
      for (let j = 0; j < b; j++) {
        const s = streams[j];
        this.inputs.set(this.data.inputs.subarray((t * S + s) * inSize, (t * S + s + 1) * inSize), (t * b + j) * inSize);
        this.targets.set(this.data.targets.subarray((t * S + s) * outSize, (t * S + s + 1) * outSize), (t * b + j) * outSize);
      }
    }
  }
}

/** Mean loss over every stream, evaluated in groups of B, weighted by the streams per group. */
function meanLoss(model: ModelRunner['model'], batches: StreamBatches, runner: SequenceRunner): number {
  let sum = 0;
  let n = 0;
  for (const b of batches.all()) {
    sum += evaluateLoss(model, b, 'gaussian-nll', runner) * b.batch;
    n += b.batch;
  }
  return sum / n;
}
