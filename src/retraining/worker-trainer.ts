import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { TidecastError } from '../core/errors.js';
import type { TrainJobRequest, TrainJobResult } from './train-job.js';
import { jobKernels, runTrainJob } from './train-job.js';
import type { SyncJobMessage, WorkerReply } from './trainer-worker.js';

// Runs training jobs off the inference thread: one worker, one job at a time. Inputs, targets and
// champion weights are transferred (not copied) to the worker; the challenger's weights come back
// the same way. Aborting terminates the worker; the next job starts a fresh one.

export interface Trainer {
  train(req: TrainJobRequest, signal?: AbortSignal): Promise<TrainJobResult>;
  /** Starts a job whose result the caller collects synchronously (event-time retraining). */
  start(req: TrainJobRequest): TrainJobHandle;
  close(): Promise<void>;
}

/** A started job. The result is a pure function of the request, wherever it was computed. */
export interface TrainJobHandle {
  /** The result if the job has finished; never waits. */
  poll(): TrainJobResult | undefined;
  /** Blocks the calling thread until the result is there; throws if the job failed. */
  wait(): TrainJobResult;
  /** Drops the job (its result is not wanted any more). */
  cancel(): void;
}

/** How long one blocking wait slice lasts before the worker's liveness is checked again. */
const WAIT_SLICE_MS = 500;

export class WorkerTrainer implements Trainer {
  private worker: Worker | undefined;
  private busy = false;
  /** Whether the worker managed to lower its thread's priority. */
  niced = false;

  async train(req: TrainJobRequest, signal?: AbortSignal): Promise<TrainJobResult> {
    if (this.busy) throw new TidecastError('A training job is already running for this pipeline.', 'config_invalid', true);
    this.busy = true;
    try {
      const w = await this.startWorker();
      return await new Promise<TrainJobResult>((resolve, reject) => {
        const onAbort = (): void => {
          cleanup();
          void this.kill();
          reject(new TidecastError('Training aborted.', 'config_invalid', true));
        };
        const onMessage = (m: WorkerReply): void => {
          if (m.type === 'ready') return;
          cleanup();
          if (m.type === 'done') resolve(m.result);
          else reject(new TidecastError(`Training failed: ${m.message}`, 'non_finite', false));
        };
        const onError = (err: Error): void => {
          cleanup();
          this.worker = undefined;
          reject(err);
        };
        const cleanup = (): void => {
          w.off('message', onMessage);
          w.off('error', onError);
          signal?.removeEventListener('abort', onAbort);
        };
        if (signal?.aborted) {
          onAbort();
          return;
        }
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

  /**
   * Posts the job without waiting for the worker to be ready (messages queue). The request is
   * copied, not transferred: if the worker dies, wait() computes the same result on this thread.
   */
  start(req: TrainJobRequest): TrainJobHandle {
    const w = this.spawn();
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    w.postMessage({ type: 'sync-job', req, port: port2, flag } satisfies SyncJobMessage, [port2]);
    return new WorkerJobHandle(w, req, port1, flag);
  }

  async close(): Promise<void> {
    await this.kill();
  }

  private ready: Promise<void> = Promise.resolve();

  private spawn(): Worker {
    if (this.worker !== undefined) return this.worker;
    const w = new Worker(new URL('./trainer-worker-boot.mjs', import.meta.url));
    w.unref();
    this.worker = w;
    // A worker that dies is replaced by the next job; a synchronous waiter notices by its threadId.
    w.on('error', () => {
      if (this.worker === w) this.worker = undefined;
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerReply): void => {
        if (m.type === 'ready') {
          this.niced = m.niced;
          done();
          resolve();
        }
      };
      const onError = (err: Error): void => {
        done();
        reject(err);
      };
      const done = (): void => {
        w.off('message', onMessage);
        w.off('error', onError);
      };
      w.on('message', onMessage);
      w.on('error', onError);
    });
    this.ready.catch(() => undefined);
    return w;
  }

  private async startWorker(): Promise<Worker> {
    const w = this.spawn();
    await this.ready;
    return w;
  }

  private async kill(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) await w.terminate();
  }
}

class WorkerJobHandle implements TrainJobHandle {
  private result: TrainJobResult | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly req: TrainJobRequest,
    private readonly port: MessagePort,
    private readonly flag: Int32Array,
  ) {}

  poll(): TrainJobResult | undefined {
    if (this.result === undefined && this.failure === undefined && Atomics.load(this.flag, 0) === 1) this.read();
    if (this.failure !== undefined) throw this.failure;
    return this.result;
  }

  wait(): TrainJobResult {
    while (this.result === undefined && this.failure === undefined) {
      if (Atomics.load(this.flag, 0) === 1) {
        this.read();
        break;
      }
      if (this.worker.threadId === -1) {
        // The worker is gone: the job is pure, so this thread computes the same result.
        this.port.close();
        this.result = runTrainJob(this.req, undefined, jobKernels());
        break;
      }
      Atomics.wait(this.flag, 0, 0, WAIT_SLICE_MS);
    }
    if (this.failure !== undefined) throw this.failure;
    return this.result as TrainJobResult;
  }

  cancel(): void {
    this.port.close();
  }

  private read(): void {
    const m = receiveMessageOnPort(this.port)?.message as WorkerReply | undefined;
    this.port.close();
    if (m?.type === 'done') this.result = m.result;
    else
      this.failure = new TidecastError(
        `Training failed: ${m?.type === 'failed' ? m.message : 'no reply from the worker'}`,
        'non_finite',
        false,
      );
  }
}

/** Same contract on the calling thread: for tests and tiny models where a worker is not worth it. */
export class InlineTrainer implements Trainer {
  async train(req: TrainJobRequest): Promise<TrainJobResult> {
    return runTrainJob(req, undefined, jobKernels());
  }

  start(req: TrainJobRequest): TrainJobHandle {
    let result: TrainJobResult | undefined;
    let failure: unknown;
    try {
      result = runTrainJob(req, undefined, jobKernels());
    } catch (err) {
      failure = err;
    }
    const get = (): TrainJobResult => {
      if (result === undefined) throw failure;
      return result;
    };
    return { poll: get, wait: get, cancel: () => undefined };
  }

  async close(): Promise<void> {}
}
