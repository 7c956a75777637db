import type { StreamKey } from '../core/types.js';

/** One grid step of one stream, ready for the model. */
export interface FeatureStep {
  readonly key: StreamKey;
  /** Step start, epoch ms. */
  readonly t: number;
  /** Feature vector (model input), in FeatureSchema.names order. */
  readonly x: Float32Array;
  /** Normalised target values observed at t (FeatureSchema.targets order); NaN where imputed or not yet scalable. */
  readonly target: Float64Array;
  /** Per data field: 1 where the value at t was imputed. */
  readonly imputed: Uint8Array;
  /** Per data field: the value at t in data units (aggregated or imputed, before transform and scaling); NaN where unknown. Set by StreamProcessor on its view (not copied by cloneStep). */
  readonly values?: Float64Array;
  /** A gap longer than max_gap_steps preceded this step: reset the stream's recurrent state. */
  readonly broken: boolean;
}

/** The processor's reusable view: valid only during the emit callback. */
export class MutableFeatureStep implements FeatureStep {
  key: StreamKey = '';
  t = 0;
  broken = false;
  readonly x: Float32Array;
  readonly target: Float64Array;
  readonly imputed: Uint8Array;
  readonly values: Float64Array;

  constructor(width: number, targets: number, fields: number) {
    this.x = new Float32Array(width);
    this.target = new Float64Array(targets);
    this.imputed = new Uint8Array(fields);
    this.values = new Float64Array(fields);
  }
}

/** A copy that may be kept after the callback returns. */
export function cloneStep(s: FeatureStep): FeatureStep {
  return { key: s.key, t: s.t, x: s.x.slice(), target: s.target.slice(), imputed: s.imputed.slice(), broken: s.broken };
}
