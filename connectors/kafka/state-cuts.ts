import type { StageObserver } from './stage-latency.js';

// Acks follow effects, with one changelog write per stream per interval instead of one per batch.
// Batches are stepped as they arrive and their outputs written at once (forecasts never wait for the
// changelog). Every `intervalMs` a cut takes the state of each stream stepped since the previous cut,
// exported once, as of the cut (so it includes every batch stepped so far), waits until the outputs of
// all those batches are durable, puts the states into the changelog, flushes it, and only then acks the
// batches, in the order they were stepped. Exporting per cut rather than per batch keeps the cost per
// event flat when the load is low and batches are small.

/** Where a stream's state lives: its input partition and the last input offset the state includes. */
export interface StreamPosition {
  readonly partition: number;
  readonly offset: number;
}

export interface StateCutsOptions<B> {
  /** The stream's state now, as bytes (copied by the changelog's put); undefined when the stream is gone. */
  exportState(key: string): Uint8Array | undefined;
  readonly changelog: {
    put(key: string, partition: number, value: Uint8Array, inputOffset: number): void;
    flush(): Promise<void>;
  };
  /** Called once per batch, in stepping order, after its outputs and its streams' states are durable. */
  ack(batch: B): void;
  /** A write failed: nothing more is acked (the batches stay unacked and are redelivered). */
  fail(err: unknown): void;
  /** Least time between two cuts. */
  readonly intervalMs: number;
  /** Times the 'changelog' stage: outputs durable -> states durable (per batch). */
  readonly stages?: StageObserver;
}

interface Stepped<B> {
  readonly batch: B;
  readonly durable: Promise<void>;
  durableAt: number;
}

export class StateCuts<B> {
  private stepped: Stepped<B>[] = [];
  private dirty = new Map<string, StreamPosition>();
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private lastCut = -Infinity;
  private failed = false;
  /** Cuts written, for profiles and tests. */
  cuts = 0;

  constructor(private readonly o: StateCutsOptions<B>) {}

  /**
   * A batch was stepped: `touched` are its streams (latest position each), `outputsDurable` resolves when
   * its outputs are. The batch is acked by a later cut.
   */
  add(batch: B, touched: Iterable<readonly [string, StreamPosition]>, outputsDurable: Promise<void>): void {
    for (const [key, pos] of touched) this.dirty.set(key, pos);
    const s: Stepped<B> = { batch, durable: outputsDurable, durableAt: 0 };
    outputsDurable.then(
      () => (s.durableAt = performance.now()),
      () => undefined,
    );
    this.stepped.push(s);
    this.timer ??= setTimeout(() => this.cut(), Math.max(0, this.lastCut + this.o.intervalMs - performance.now()));
  }

  /** Batches stepped and not yet in a cut. */
  get pending(): number {
    return this.stepped.length;
  }

  /** Cuts now (without waiting for the interval) and resolves when every batch so far is acked. */
  drain(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.stepped.length > 0) this.cut();
    return this.chain;
  }

  private cut(): void {
    this.timer = null;
    this.lastCut = performance.now();
    const batches = this.stepped;
    const dirty = this.dirty;
    this.stepped = [];
    this.dirty = new Map();
    // Exported now, between two steps: each state includes exactly the batches of this cut and before.
    const states: [string, StreamPosition, Uint8Array][] = [];
    for (const [key, pos] of dirty) {
      const st = this.o.exportState(key);
      if (st !== undefined) states.push([key, pos, st]);
    }
    this.cuts++;
    this.chain = this.chain
      .then(async () => {
        if (this.failed) return;
        await Promise.all(batches.map((b) => b.durable));
        for (const [key, pos, st] of states) this.o.changelog.put(key, pos.partition, st, pos.offset);
        await this.o.changelog.flush();
        const now = performance.now();
        for (const b of batches) {
          this.o.stages?.observe('changelog', now - b.durableAt);
          this.o.ack(b.batch);
        }
      })
      .catch((err: unknown) => {
        this.failed = true;
        this.o.fail(err);
      });
  }
}
