import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import type { OperatorContext } from './context.js';

// The shape shared by the pipeline operators: items go to a synchronous handler that may emit any
// number of outputs; an optional timer on ctx.clock (virtual in tests) flushes idle state; on
// completion the handler flushes what it holds. A throwing handler would end the whole pipeline,
// so errors inside are the handler's to turn into dead letters.

export interface KeyedHandler<I, O> {
  next(item: I, emit: (o: O) => void): void;
  /** Clock tick (only when tickMs is set). */
  tick?(nowMs: number, emit: (o: O) => void): void;
  complete(emit: (o: O) => void): void;
}

interface KeyedParts<I, O> {
  readonly ctx: OperatorContext;
  readonly tickMs: number | null;
  readonly make: () => KeyedHandler<I, O>;
}

/** What overBatches() reads off an operator built here: its context, tick and handler factory. */
const PARTS = Symbol('keyedOperator.parts');
type KeyedOperator<I, O> = OperatorFunction<I, O> & { readonly [PARTS]?: KeyedParts<I, O> };

export function keyedOperator<I, O>(ctx: OperatorContext, tickMs: number | null, make: () => KeyedHandler<I, O>): OperatorFunction<I, O> {
  const op: OperatorFunction<I, O> = (source) =>
    new Observable<O>((sub) => {
      const h = make();
      const emit = (o: O): void => sub.next(o);
      let timer: Subscription | undefined;
      if (tickMs !== null && h.tick) {
        const tick = h.tick.bind(h);
        const schedule = (): void => {
          timer = ctx.clock.scheduler.schedule(function () {
            tick(ctx.clock.now(), emit);
            this.schedule(undefined, tickMs);
          }, tickMs);
        };
        schedule();
      }
      const inner = source.subscribe({
        next: (item) => h.next(item, emit),
        error: (e: unknown) => sub.error(e),
        complete: () => {
          h.complete(emit);
          sub.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        inner.unsubscribe();
      };
    });
  return Object.assign(op, { [PARTS]: { ctx, tickMs, make } });
}

/**
 * The same operator over batches: each input batch runs through the handler in one loop and leaves
 * as one output batch (empty when nothing came out, so batches stay one to one with the source's and
 * can be acknowledged in order); ticks and completion emit what they release as a batch of their
 * own. For the operators of this folder (parse, orderByEventTime, resample, impute, normalise,
 * engineerFeatures, streamPipeline).
 */
export function overBatches<I, O>(op: OperatorFunction<I, O>): OperatorFunction<readonly I[], O[]> {
  const parts = (op as KeyedOperator<I, O>)[PARTS];
  if (parts === undefined) throw new TypeError('overBatches: not an operator of src/operators (built with keyedOperator)');
  const { ctx, tickMs, make } = parts;
  return (source) =>
    new Observable<O[]>((sub) => {
      const h = make();
      let out: O[] = [];
      const emit = (o: O): void => {
        out.push(o);
      };
      const take = (): O[] => {
        const b = out;
        out = [];
        return b;
      };
      let timer: Subscription | undefined;
      if (tickMs !== null && h.tick) {
        const tick = h.tick.bind(h);
        timer = ctx.clock.scheduler.schedule(function () {
          tick(ctx.clock.now(), emit);
          if (out.length > 0) sub.next(take());
          this.schedule(undefined, tickMs);
        }, tickMs);
      }
      const inner = source.subscribe({
        next: (items) => {
          for (let i = 0; i < items.length; i++) h.next(items[i], emit);
          sub.next(take());
        },
        error: (e: unknown) => sub.error(e),
        complete: () => {
          h.complete(emit);
          if (out.length > 0) sub.next(take());
          sub.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        inner.unsubscribe();
      };
    });
}
