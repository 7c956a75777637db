// Lifecycle state of every (stream, rule) pair in flat arrays: inactive -> pending -> firing -> resolved.
import { grown, type SlotColumns } from './slot-arrays.js';

export const INACTIVE = 0;
export const PENDING = 1;
export const FIRING = 2;

export class AlertRuleState implements SlotColumns {
  state = new Uint8Array(0);
  /** 1 warning, 2 critical. */
  severity = new Uint8Array(0);
  /** The firing event was held back (silence or storm): its resolution is not sent either. */
  unsent = new Uint8Array(0);
  episodeStart = new Float64Array(0);
  activeSteps = new Int32Array(0);
  calmSteps = new Int32Array(0);
  cooldownUntil = new Float64Array(0);

  constructor(readonly rules: number) {}

  columns() {
    const r = this.rules;
    return [
      [this.state, r],
      [this.severity, r],
      [this.unsent, r],
      [this.episodeStart, r],
      [this.activeSteps, r],
      [this.calmSteps, r],
      [this.cooldownUntil, r],
    ] as const;
  }

  reserve(slots: number): void {
    const n = slots * this.rules;
    if (this.state.length >= n) return;
    this.state = grown(this.state, n);
    const len = this.state.length;
    this.severity = grown(this.severity, len);
    this.unsent = grown(this.unsent, len);
    this.episodeStart = grown(this.episodeStart, len);
    this.activeSteps = grown(this.activeSteps, len);
    this.calmSteps = grown(this.calmSteps, len);
    this.cooldownUntil = grown(this.cooldownUntil, len, -Infinity);
  }
}
