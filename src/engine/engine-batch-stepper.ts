import type { EngineListener, StepTap } from './engine-listener.js';
import type { ForecastEmitter } from './engine-forecast-emitter.js';
import { grownTo } from './grow.js';
import type { ModelRunner } from './model-runner.js';
import type { TickBuffer } from './tick-buffer.js';

// Steps the model over one ingested batch's grid steps. A stream may have several steps in a batch;
// they must be stepped in order, each on the state the previous one left, so the steps are grouped
// into rounds (a stream's k-th step of the batch is in round k) and each round is one batched model
// call. The gather buffers are reused between batches.

export class EngineBatchStepper {
  private order = new Int32Array(0);
  private batchSlots = new Int32Array(0);
  private batchX = new Float32Array(0);
  private batchY = new Float32Array(0);

  constructor(
    private readonly ticks: TickBuffer,
    private readonly runner: ModelRunner,
    private readonly emitter: ForecastEmitter,
    private readonly listener: EngineListener,
    /** Read per round, so a tap set or cleared between rounds (retraining attach) takes effect as before. */
    private readonly tapHolder: { readonly stepTap: StepTap | undefined },
  ) {}

  /** Steps and emits every buffered tick, one round at a time, then empties the buffer. */
  run(): void {
    const ticks = this.ticks;
    const n = ticks.count;
    if (n === 0) return;
    let maxRound = 0;
    for (let i = 0; i < n; i++) if (ticks.round[i] > maxRound) maxRound = ticks.round[i];
    // Counting sort by round, stable: emission order within a round.
    const starts = new Int32Array(maxRound + 2);
    for (let i = 0; i < n; i++) starts[ticks.round[i] + 1]++;
    for (let r = 1; r <= maxRound + 1; r++) starts[r] += starts[r - 1];
    this.order = grownTo(this.order, n);
    const fill = starts.slice();
    for (let i = 0; i < n; i++) this.order[fill[ticks.round[i]]++] = i;
    for (let r = 0; r <= maxRound; r++) this.stepRound(starts[r], starts[r + 1]);
    ticks.count = 0;
  }

  private stepRound(from: number, to: number): void {
    const tap = this.tapHolder.stepTap;
    if (tap?.stepsToEvent === undefined) {
      this.stepRows(from, to);
      return;
    }
    // Model calls end at the tap's event points (see StepTap.stepsToEvent).
    while (from < to) {
      const end = Math.min(to, from + Math.max(1, tap.stepsToEvent()));
      this.stepRows(from, end);
      tap.afterSteps?.();
      from = end;
    }
  }

  private stepRows(from: number, to: number): void {
    const count = to - from;
    const ticks = this.ticks;
    const runner = this.runner;
    const inSize = runner.inputSize;
    const w = runner.outputWidth;
    this.batchSlots = grownTo(this.batchSlots, count);
    this.batchX = grownTo(this.batchX, count * inSize);
    this.batchY = grownTo(this.batchY, count * w);
    for (let j = 0; j < count; j++) {
      const i = this.order[from + j];
      const slot = ticks.slot[i];
      if (ticks.reset[i] === 1) runner.resetState(slot);
      this.batchSlots[j] = slot;
      for (let k = 0; k < inSize; k++) this.batchX[j * inSize + k] = ticks.x[i * inSize + k];
    }
    runner.step(this.batchSlots, count, this.batchX, this.batchY);
    this.listener.modelBatch?.(count);
    const tap = this.tapHolder.stepTap;
    if (tap !== undefined) {
      for (let j = 0; j < count; j++)
        tap.step(runner.arena.keyOf(this.batchSlots[j]) as string, ticks, this.order[from + j], this.batchY, j * w);
    }
    for (let j = 0; j < count; j++) this.emitter.emit(ticks, this.order[from + j], this.batchY, j * w);
  }
}
