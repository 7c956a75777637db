import type { SchedulerLike } from 'rxjs';
import { asyncScheduler } from 'rxjs';

/** "Now" comes from here, never from Date.now() in pipeline code, so tests can run in virtual time. */
export interface Clock {
  now(): number;
  readonly scheduler: SchedulerLike;
}

export function schedulerClock(scheduler: SchedulerLike = asyncScheduler): Clock {
  return { now: () => scheduler.now(), scheduler };
}

export const systemClock: Clock = schedulerClock(asyncScheduler);
