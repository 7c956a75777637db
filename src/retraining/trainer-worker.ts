import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { runTrainJob, type TrainJobRequest } from './train-job.js';

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

const port = parentPort;
if (port !== null) {
  port.postMessage({ type: 'ready', niced: niceThisThread(10) } satisfies WorkerReply);
  port.on('message', (req: TrainJobRequest) => {
    try {
      const result = runTrainJob(req);
      const transfer = [result.weights.buffer as ArrayBuffer];
      if (result.rewarmStates !== undefined) transfer.push(result.rewarmStates.buffer as ArrayBuffer);
      port.postMessage({ type: 'done', result } satisfies WorkerReply, transfer);
    } catch (err) {
      port.postMessage({ type: 'failed', jobId: req.jobId, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
    }
  });
}
