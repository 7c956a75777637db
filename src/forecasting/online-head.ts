import type { CellKind } from '../models/cell-config.js';
import { onlineHeadStreams, type OnlineHeadSection } from '../config/online-head-section.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import { OnlineForecaster, RecurrentReservoir, defaultProfiles, fitZScore, type HeadProfile, type ZScore } from './index.js';
import { bytesFromBase64, float64FromBase64 as f64, toBase64 as b64 } from '../core/base64.js';
import { RowAssembler } from './online-head-rows.js';

// The engine's multivariate online head (`model.online_head`): the stream pipeline's target values
// of the listed streams, assembled into one row per grid step, are forecast together by
// src/forecasting's OnlineForecaster (per-horizon RLS readouts over [last values, lagged
// differences, calendar, seasonal difference, the state of the head's recurrent layers stepped on
// every row]). It learns only from values already observed: the forecast made for t + h learns when
// row t + h arrives. With `normalise: zscore` the scale is fitted on the first fit_rows rows and then
// frozen; those rows are held until the scale is known, then learned from (and reported) in order.

/** One row of the head: the values at t and the forecasts made after seeing them. A reused view. */
export interface HeadRow {
  readonly pipeline: string;
  readonly t: number;
  readonly keys: readonly string[];
  /** Per stream: the value at t in data units (NaN where the stream gave none). */
  readonly actual: Float64Array;
  /** Per stream: 1 where the stream pipeline imputed the value. */
  readonly imputed: Uint8Array;
  /** Per stream: the one-step forecast for t made at the previous row (NaN for the first row). */
  readonly previous: Float64Array;
  /** forecasts[(h - 1) * C + j]: stream j at t + h, data units. */
  readonly forecasts: Float64Array;
}

export interface OnlineHeadSnapshot {
  readonly streams: readonly string[];
  readonly rows: number;
  /** Float64 arrays as base64 (exact, NaN included). */
  readonly forecaster: string;
  readonly recurrent: string | null;
  /** mean then std; null until frozen (or with normalise: none). */
  readonly scale: string | null;
  readonly held: string;
  readonly heldTimes: string;
  readonly heldImputed: string;
  readonly heldRows: number;
  readonly previous: string;
  readonly forecasts: string;
  readonly assembler: {
    readonly next: number | null;
    readonly values: string;
    readonly imputed: string;
    readonly given: string;
    readonly filled: string;
    readonly newest: string;
    readonly late: number;
  };
}

export class OnlineHead {
  readonly keys: readonly string[];
  readonly columns: number;
  readonly horizon: number;
  /** Rows learned from (held training rows count once they are learned). */
  rows = 0;
  private readonly column = new Map<string, number>();
  private readonly forecaster: OnlineForecaster;
  private readonly recurrent: RecurrentReservoir | undefined;
  private readonly hidden: Float64Array;
  private readonly assembler: RowAssembler;
  private readonly fitRows: number;
  private scale: ZScore | undefined;
  /** Rows held until the scale is fitted (data units). */
  private readonly held: Float64Array;
  private readonly heldTimes: Float64Array;
  private readonly heldImputed: Uint8Array;
  private heldRows = 0;
  private readonly z: Float64Array;
  private readonly zOut: Float64Array;
  private readonly row: HeadRow & { t: number; previous: Float64Array };

  constructor(
    spec: PipelineSpec,
    head: OnlineHeadSection,
    private readonly emit: (row: HeadRow) => void,
  ) {
    const keys = onlineHeadStreams(head, spec.sources);
    if (keys === undefined) throw new RangeError('model.online_head needs streams');
    this.keys = keys;
    keys.forEach((k, j) => {
      this.column.set(k, j);
    });
    const c = keys.length;
    this.columns = c;
    this.horizon = head.horizon ?? spec.model.horizon;
    const season = head.season_steps ?? Math.max(1, Math.round(86_400_000 / spec.step_ms));
    const r = head.recurrent;
    this.recurrent =
      r === null
        ? undefined
        : new RecurrentReservoir({ kind: r.cell satisfies CellKind, inputSize: c, units: r.units, layers: r.layers, seed: r.seed });
    this.hidden = new Float64Array(this.recurrent?.size ?? 0);
    const profiles: HeadProfile[] =
      head.profiles === undefined
        ? defaultProfiles(this.horizon)
        : head.profiles.map((p) => ({
            from: p.from_horizon,
            to: p.to_horizon,
            lags: p.lags,
            forgetting: p.forgetting,
            initialScale: p.initial_scale,
            seasonal: p.seasonal,
          }));
    this.forecaster = new OnlineForecaster({
      columns: c,
      horizon: this.horizon,
      season,
      profiles,
      calendar: head.calendar,
      selectionHalfLife: head.selection_half_life_steps,
      extraFeatures: this.hidden.length,
    });
    this.fitRows = head.normalise.method === 'zscore' ? (head.normalise.fit_rows as number) : 0;
    this.held = new Float64Array(this.fitRows * c);
    this.heldTimes = new Float64Array(this.fitRows);
    this.heldImputed = new Uint8Array(this.fitRows * c);
    this.z = new Float64Array(c);
    this.zOut = new Float64Array(this.horizon * c);
    this.row = {
      pipeline: spec.name,
      t: 0,
      keys,
      actual: new Float64Array(c),
      imputed: new Uint8Array(c),
      previous: new Float64Array(c).fill(NaN),
      forecasts: new Float64Array(this.horizon * c).fill(NaN),
    };
    this.assembler = new RowAssembler(c, spec.step_ms, (t, values, imputed) => this.onRow(t, values, imputed));
  }

  /** The frozen scale (undefined before fit_rows rows, or without zscore). */
  get zscore(): ZScore | undefined {
    return this.scale;
  }

  /** Non-finite row values the forecaster replaced by the stream's last value. */
  get imputedValues(): number {
    return this.forecaster.imputed;
  }

  /** One grid step of a stream (ignored unless the stream is one of the head's). */
  push(key: string, t: number, value: number, imputed: boolean): void {
    const j = this.column.get(key);
    if (j !== undefined) this.assembler.push(j, t, value, imputed);
  }

  /** Closes the open rows (end of a replay). */
  flush(): void {
    this.assembler.flush();
  }

  snapshot(): OnlineHeadSnapshot {
    const a = this.assembler.snapshot();
    const scale = this.scale === undefined ? null : b64(Float64Array.of(...this.scale.mean, ...this.scale.std));
    return {
      streams: this.keys,
      rows: this.rows,
      forecaster: b64(this.forecaster.snapshot()),
      recurrent: this.recurrent === undefined ? null : b64(this.recurrent.snapshot()),
      scale,
      held: b64(this.held),
      heldTimes: b64(this.heldTimes),
      heldImputed: b64(this.heldImputed),
      heldRows: this.heldRows,
      previous: b64(this.row.previous),
      forecasts: b64(this.row.forecasts),
      assembler: {
        next: Number.isNaN(a.next) ? null : a.next,
        values: b64(a.values),
        imputed: b64(a.imputed),
        given: b64(a.given),
        filled: b64(Float64Array.from(a.filled)),
        newest: b64(a.newest),
        late: a.late,
      },
    };
  }

  restore(s: OnlineHeadSnapshot): void {
    if (s.streams.join('\n') !== this.keys.join('\n')) throw new RangeError('online head snapshot has other streams');
    this.rows = s.rows;
    this.forecaster.restore(f64(s.forecaster));
    if (this.recurrent !== undefined && s.recurrent !== null) this.recurrent.restore(bytesFromBase64(s.recurrent));
    if (s.scale === null) this.scale = undefined;
    else {
      const v = f64(s.scale);
      this.scale = { mean: v.slice(0, this.columns), std: v.slice(this.columns) };
    }
    this.held.set(f64(s.held));
    this.heldTimes.set(f64(s.heldTimes));
    this.heldImputed.set(bytesFromBase64(s.heldImputed));
    this.heldRows = s.heldRows;
    this.row.previous.set(f64(s.previous));
    this.row.forecasts.set(f64(s.forecasts));
    const a = s.assembler;
    this.assembler.restore({
      next: a.next ?? NaN,
      values: f64(a.values),
      imputed: bytesFromBase64(a.imputed),
      given: bytesFromBase64(a.given),
      filled: Int32Array.from(f64(a.filled)),
      newest: f64(a.newest),
      late: a.late,
    });
  }

  private onRow(t: number, values: Float64Array, imputed: Uint8Array): void {
    if (this.fitRows === 0 || this.scale !== undefined) {
      this.learn(t, values, imputed);
      return;
    }
    const c = this.columns;
    this.held.set(values, this.heldRows * c);
    this.heldImputed.set(imputed, this.heldRows * c);
    this.heldTimes[this.heldRows++] = t;
    if (this.heldRows < this.fitRows) return;
    // The training rows are all in: freeze the scale, then learn from them in order.
    this.scale = fitZScore(this.held, c, this.fitRows);
    for (let r = 0; r < this.fitRows; r++)
      this.learn(this.heldTimes[r], this.held.subarray(r * c, r * c + c), this.heldImputed.subarray(r * c, r * c + c));
    this.heldRows = 0;
    this.held.fill(0);
  }

  /** Learns from one row, forecasts the next H rows and reports both. */
  private learn(t: number, values: Float64Array, imputed: Uint8Array): void {
    const { columns: c, z, zOut, row, scale } = this;
    for (let j = 0; j < c; j++) z[j] = scale === undefined ? values[j] : (values[j] - scale.mean[j]) / scale.std[j];
    if (this.recurrent !== undefined) {
      this.recurrent.step(z, this.hidden);
      this.forecaster.observe(t, z, this.hidden);
    } else this.forecaster.observe(t, z);
    this.rows++;
    this.forecaster.forecast(zOut);
    row.t = t;
    row.actual.set(values);
    row.imputed.set(imputed);
    for (let j = 0; j < c; j++) row.previous[j] = row.forecasts[j];
    for (let i = 0; i < zOut.length; i++) {
      const j = i % c;
      row.forecasts[i] = scale === undefined ? zOut[i] : scale.mean[j] + scale.std[j] * zOut[i];
    }
    this.emit(row);
  }
}
