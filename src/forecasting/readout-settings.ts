import type { ModelSection, ReadoutSection } from '../config/sections.js';
import type { StreamReadoutOptions } from './readout-layout.js';
import type { z } from 'zod';
import { twoSidedTail } from '../alerting/normal-tail.js';

// model.forecaster + model.readout -> StreamReadouts settings, with the defaults that depend on the
// step: a daily season and time-of-day features only where a day holds a sensible number of steps.

const DAY_MS = 86_400_000;
/** Longest default season in steps (a day of 1-min steps would need a 1,440-level ring per stream). */
const MAX_DEFAULT_SEASON = 400;

type Model = z.infer<typeof ModelSection>;
type Readout = z.infer<typeof ReadoutSection>;

/** undefined for forecaster: recurrent (the model's own head serves). */
export function readoutOptions(model: Model, stepMs: number): StreamReadoutOptions | undefined {
  if (model.forecaster === 'recurrent') return undefined;
  const r: Readout = model.readout;
  const perDay = Math.round(DAY_MS / stepMs);
  const season = r.season_steps ?? (perDay >= 2 && perDay <= MAX_DEFAULT_SEASON ? perDay : 0);
  const z = model.interval_z;
  return {
    horizon: model.horizon,
    lags: r.lags,
    season,
    calendar: r.calendar ?? stepMs < DAY_MS,
    stepMs,
    recurrent: model.forecaster === 'hybrid',
    forgetting: r.forgetting,
    priorVariances: r.prior_variances,
    errorHalfLife: r.error_half_life_steps,
    bandHalfLife: r.band_half_life_steps,
    intervalZ: z,
    missRate: twoSidedTail(z),
    bandRate: 0.02,
    minUpdates: 24,
    warmupSteps: 24,
    bandWarmupWeight: 1 - 0.5 ** (24 / r.band_half_life_steps),
  };
}
