// Settings of StreamReadouts and where each part of a slot's record lives. One place for the
// offsets so that the record's layout (and its checkpoint) reads in one glance.

export interface StreamReadoutOptions {
  /** Largest horizon H. */
  readonly horizon: number;
  /** Lagged changes of the level used as features. */
  readonly lags: number;
  /** Steps per season for the seasonal-change feature (0: none). */
  readonly season: number;
  /** Time of day of the target time (2 harmonics) as features. */
  readonly calendar: boolean;
  /** Grid step in ms (the target time of horizon h is t + h·stepMs). */
  readonly stepMs: number;
  /** The recurrent model's forecast for h as a feature (forecaster hybrid). */
  readonly recurrent: boolean;
  /** RLS forgetting factor. */
  readonly forgetting: number;
  /** One readout per value: the prior variance of its weights. */
  readonly priorVariances: readonly number[];
  /** Half-life in targets of the errors that choose the served candidate. */
  readonly errorHalfLife: number;
  /** Half-life in targets of the band's residual scale. */
  readonly bandHalfLife: number;
  /** Nominal half-width of the band in residual scales (model.interval_z); the factor starts here. */
  readonly intervalZ: number;
  /** Share of actuals the band should miss: 1 - nominal coverage. */
  readonly missRate: number;
  /** Relative step of the band factor per target. */
  readonly bandRate: number;
  /** Targets a readout must have learned from before it may serve. */
  readonly minUpdates: number;
  /** Steps of a stream before its origins teach (the normaliser's scale settles first). */
  readonly warmupSteps: number;
  /** Weight of residuals (1 - decay^n) before the band uses them rather than the model's variance. */
  readonly bandWarmupWeight: number;
}

/** Served variants per readout: raw, raw rounded to the quantum, shrunk, shrunk rounded. */
export const VARIANTS = 4;

export interface ReadoutLayout {
  readonly H: number;
  /** Readouts, one per prior variance. */
  readonly C: number;
  /** Served variants: VARIANTS per readout, then their combination (persistence is not stored). */
  readonly V: number;
  /** Features per readout. */
  readonly d: number;
  readonly K: number;
  readonly S: number;
  readonly calendar: boolean;
  readonly recurrent: boolean;
  /** Ring of levels (enough for the lags and the season). */
  readonly R: number;
  /** Ring of forecast origins whose targets are still to come. */
  readonly O: number;
  // Offsets within a slot's record:
  readonly ring: number;
  /** Seasonal profile: per phase, the mean one-step change into it (S values). */
  readonly profile: number;
  readonly w: number;
  readonly p: number;
  readonly feat: number;
  readonly pred: number;
  readonly served: number;
  /** Per readout and horizon: recent mean of target × forecast and of forecast², whose ratio shrinks it. */
  readonly shrink: number;
  readonly oLevel: number;
  readonly oScale: number;
  readonly err: number;
  readonly n: number;
  readonly s2: number;
  readonly s2w: number;
  readonly k: number;
  /** Steps since the stream's history (re)started. */
  readonly idx: number;
  /** Steps since the stream's first (never reset). */
  readonly age: number;
  /** Smallest change seen between two observed readings (0: none yet), in level units. */
  readonly quantum: number;
  /** A fast moving average of the level (the short-term mean the level reverts to). */
  readonly fastMean: number;
  /** 1 when the last step was observed (not imputed). */
  readonly observed: number;
  /** A number that names the layout, so a checkpoint made with other settings is recognised. */
  readonly signature: number;
  readonly signatureValue: number;
  readonly stride: number;
}

export function readoutLayout(o: StreamReadoutOptions): ReadoutLayout {
  const H = o.horizon;
  const C = o.priorVariances.length;
  // Plus one: the combination of all variants and persistence weighted by inverse recent MSE.
  const V = VARIANTS * C + 1;
  const K = o.lags;
  const S = o.season;
  const d = 3 + K + (S > 0 ? 2 : 0) + (o.calendar ? 4 : 0) + (o.recurrent ? 1 : 0);
  const R = Math.max(K, S) + 1;
  const O = H + 1;
  let at = 0;
  const take = (n: number): number => {
    const start = at;
    at += n;
    return start;
  };
  const ring = take(R);
  const profile = take(S);
  const w = take(C * H * d);
  const p = take(C * H * d * d);
  const feat = take(O * H * d);
  const pred = take(O * H * V);
  const served = take(O * H);
  const shrink = take(C * H * 2);
  const oLevel = take(O);
  const oScale = take(O);
  const err = take(H * (V + 1) * 2);
  const n = take(H);
  const s2 = take(H);
  const s2w = take(H);
  const k = take(H);
  const idx = take(1);
  const age = take(1);
  const quantum = take(1);
  const fastMean = take(1);
  const observed = take(1);
  const signature = take(1);
  const signatureValue = ((((H * 131 + C) * 131 + d) * 131 + R) * 131 + (o.calendar ? 1 : 0)) * 2 + (o.recurrent ? 1 : 0);
  return {
    H,
    C,
    V,
    d,
    K,
    S,
    calendar: o.calendar,
    recurrent: o.recurrent,
    R,
    O,
    ring,
    profile,
    w,
    p,
    feat,
    pred,
    served,
    shrink,
    oLevel,
    oScale,
    err,
    n,
    s2,
    s2w,
    k,
    idx,
    age,
    quantum,
    fastMean,
    observed,
    signature,
    signatureValue,
    stride: at,
  };
}
