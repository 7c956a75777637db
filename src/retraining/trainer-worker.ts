import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { jobKernels, runTrainJob, type TrainJobRequest } from './train-job.js';

// The training worker: owns no live state. It receives the champion's weights and the windows as
// transferred buffers, trains, and transfers the challenger's weights back. It lowers its own
// thread's priority first so inference keeps its core on a small machine.

export type WorkerReply =
  | { readonly type: 'ready'; readonly niced: boolean }
  | { readonly type: 'done'; readonly result: ReturnType<typeof runTrainJob> }
  | { readonly type: 'failed'; readonly jobId: string; readonly message: string };

function niceThisThread(niceness: number): boolean {
  try {
    // Linux: /proc/thread-self -> <pid>/task/<tid>; setpriority on a tid renices that thread only.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(Number.isInteger(tid) && tid > 0 ? tid : 0, niceness);
    return true;
  } catch {
    return false;
  }
}

/**
 * A job whose reply the caller may wait for synchronously (event-time retraining): the reply goes to
 * `port`, then `flag[0]` is set to 1 and notified, so the caller can Atomics.wait on it and read the
 * reply with receiveMessageOnPort without returning to its event loop.
 */
export interface SyncJobMessage {
  readonly type: 'sync-job';
  readonly req: TrainJobRequest;
  readonly port: MessagePort;
  readonly flag: Int32Array;
}

function reply(req: TrainJobRequest): { message: WorkerReply; transfer: ArrayBuffer[] } {
  try {
    const result = runTrainJob(req, undefined, jobKernels());
    const transfer = [result.weights.buffer as ArrayBuffer];
    if (result.rewarmStates !== undefined) transfer.push(result.rewarmStates.buffer as ArrayBuffer);
    return { message: { type: 'done', result }, transfer };
  } catch (err) {
    return { message: { type: 'failed', jobId: req.jobId, message: err instanceof Error ? err.message : String(err) }, transfer: [] };
  }
}

const port = parentPort;
if (port !== null) {
  port.postMessage({ type: 'ready', niced: niceThisThread(10) } satisfies WorkerReply);
  port.on('message', (m: TrainJobRequest | SyncJobMessage) => {
    if ('type' in m && m.type === 'sync-job') {
      const r = reply(m.req);
      m.port.postMessage(r.message, r.transfer);
      m.port.close();
      Atomics.store(m.flag, 0, 1);
      Atomics.notify(m.flag, 0);
      return;
    }
    const r = reply(m as TrainJobRequest);
    port.postMessage(r.message, r.transfer);
  });
}
