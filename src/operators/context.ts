import type { SchedulerLike } from 'rxjs';
import { schedulerClock, systemClock, type Clock } from '../core/clock.js';
import type { DeadLetter, ErrorCode } from '../core/types.js';

// What every operator gets besides its options: "now", a dead-letter sink, counters and a logger.
// The daemon plugs in prom-client and pino; tests use `testContext`, which records everything.

/** Counters of one component (STYLE.md names): the daemon maps them to prom-client. */
export interface ComponentMetrics {
  /** received_events_total */
  received(n: number): void;
  /** sent_events_total */
  sent(n: number): void;
  /** errors_total{code,stage}: a record was dead-lettered. */
  error(code: ErrorCode, stage: string, n: number): void;
  /** discarded_events_total{reason}: counted events that produce no output of their own (e.g. dropped duplicates). */
  discarded(reason: string, n: number): void;
  /** Any other bounded counter, e.g. imputed_steps, broken_gaps, late_accepted, buffer_overflow. */
  count(name: string, n: number): void;
}

/** The subset of pino's Logger the operators use. */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OperatorContext {
  readonly clock: Clock;
  readonly deadLetter: (d: DeadLetter<unknown>) => void;
  readonly metrics: ComponentMetrics;
  readonly log: Logger;
}

const noop = (): void => {};

export const noopMetrics: ComponentMetrics = { received: noop, sent: noop, error: noop, discarded: noop, count: noop };
export const noopLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Metrics that add up into a plain map: "received", "sent", "error:<code>:<stage>", "discarded:<reason>", "<name>". */
export class CountingMetrics implements ComponentMetrics {
  readonly counts = new Map<string, number>();
  received(n: number): void {
    this.add('received', n);
  }
  sent(n: number): void {
    this.add('sent', n);
  }
  error(code: ErrorCode, stage: string, n: number): void {
    this.add(`error:${code}:${stage}`, n);
  }
  discarded(reason: string, n: number): void {
    this.add(`discarded:${reason}`, n);
  }
  count(name: string, n: number): void {
    this.add(name, n);
  }
  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }
  private add(name: string, n: number): void {
    if (n !== 0) this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }
}

export interface TestContext extends OperatorContext {
  readonly deadLetters: DeadLetter<unknown>[];
  readonly metrics: CountingMetrics;
}

/** A context that records dead letters and counts; pass the TestScheduler to run in virtual time. */
export function testContext(scheduler?: SchedulerLike): TestContext {
  const deadLetters: DeadLetter<unknown>[] = [];
  return {
    clock: scheduler ? schedulerClock(scheduler) : systemClock,
    deadLetter: (d) => {
      deadLetters.push(d);
    },
    metrics: new CountingMetrics(),
    log: noopLogger,
    deadLetters,
  };
}
