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

export function keyedOperator<I, O>(ctx: OperatorContext, tickMs: number | null, make: () => KeyedHandler<I, O>): OperatorFunction<I, O> {
  return (source) =>
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
}
