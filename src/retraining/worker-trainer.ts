import { Worker } from 'node:worker_threads';
import { TidecastError } from '../core/errors.js';
import type { TrainJobRequest, TrainJobResult } from './train-job.js';
import { runTrainJob } from './train-job.js';
import type { WorkerReply } from './trainer-worker.js';

// Runs training jobs off the inference thread: one worker, one job at a time. Inputs, targets and
// champion weights are transferred (not copied) to the worker; the challenger's weights come back
// the same way. Aborting terminates the worker; the next job starts a fresh one.

export interface Trainer {
  train(req: TrainJobRequest, signal?: AbortSignal): Promise<TrainJobResult>;
  close(): Promise<void>;
}

export class WorkerTrainer implements Trainer {
  private worker: Worker | undefined;
  private busy = false;
  /** Whether the worker managed to lower its thread's priority. */
  niced = false;

  async train(req: TrainJobRequest, signal?: AbortSignal): Promise<TrainJobResult> {
    if (this.busy) throw new TidecastError('A training job is already running for this pipeline.', 'config_invalid', true);
    this.busy = true;
    try {
      const w = await this.start();
      return await new Promise<TrainJobResult>((resolve, reject) => {
        const onAbort = (): void => { cleanup(); void this.kill(); reject(new TidecastError('Training aborted.', 'config_invalid', true)); };
        const onMessage = (m: WorkerReply): void => {
          if (m.type === 'ready') return;
          cleanup();
          if (m.type === 'done') resolve(m.result);
          else reject(new TidecastError(`Training failed: ${m.message}`, 'non_finite', false));
        };
        const onError = (err: Error): void => { cleanup(); this.worker = undefined; reject(err); };
        const cleanup = (): void => { w.off('message', onMessage); w.off('error', onError); signal?.removeEventListener('abort', onAbort); };
        if (signal?.aborted) { onAbort(); return; }
        signal?.addEventListener('abort', onAbort, { once: true });
        w.on('message', onMessage);
        w.on('error', onError);
        const transfer = [req.inputs.buffer as ArrayBuffer, req.targets.buffer as ArrayBuffer, req.champion.buffer as ArrayBuffer];
        if (req.rewarm !== undefined) transfer.push(req.rewarm.inputs.buffer as ArrayBuffer);
        w.postMessage(req, transfer);
      });
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    await this.kill();
  }

  private async start(): Promise<Worker> {
    if (this.worker !== undefined) return this.worker;
    const w = new Worker(new URL('./trainer-worker-boot.mjs', import.meta.url));
    w.unref();
    this.worker = w;
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerReply): void => { if (m.type === 'ready') { this.niced = m.niced; done(); resolve(); } };
      const onError = (err: Error): void => { done(); this.worker = undefined; reject(err); };
      const done = (): void => { w.off('message', onMessage); w.off('error', onError); };
      w.on('message', onMessage);
      w.on('error', onError);
    });
    return w;
  }

  private async kill(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) await w.terminate();
  }
}

/** Same contract on the calling thread: for tests and tiny models where a worker is not worth it. */
export class InlineTrainer implements Trainer {
  async train(req: TrainJobRequest): Promise<TrainJobResult> {
    return runTrainJob(req);
  }

  async close(): Promise<void> {}
}
