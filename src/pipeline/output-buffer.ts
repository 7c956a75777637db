import type { AlertEvent } from '../core/alert-event.js';
import type { BatchOutputs } from '../core/ports.js';
import type { DeadLetter, Forecast } from '../core/types.js';
import type { EngineListener } from '../engine/engine-listener.js';

// Where an engine's outputs wait between the step that made them and the sinks: its listener's
// forecasts, alerts and dead letters, taken as one BatchOutputs per batch (forecast() takes them
// right after the step, so a batch carries exactly the outputs it produced).

export class OutputBuffer {
  private forecasts: Forecast[] = [];
  private actuals: (number | null)[] = [];
  private alerts: AlertEvent[] = [];
  private deadLetters: DeadLetter[] = [];

  forecast(f: Forecast, actual: number | null): void {
    this.forecasts.push(f);
    this.actuals.push(actual);
  }

  alert(a: AlertEvent): void {
    this.alerts.push(a);
  }

  deadLetter(d: DeadLetter): void {
    this.deadLetters.push(d);
  }

  get forecastCount(): number {
    return this.forecasts.length;
  }

  /** Everything gathered since the last take, leaving the buffer empty. */
  take(): BatchOutputs {
    const out = { forecasts: this.forecasts, actuals: this.actuals, alerts: this.alerts, deadLetters: this.deadLetters };
    this.forecasts = [];
    this.actuals = [];
    this.alerts = [];
    this.deadLetters = [];
    return out;
  }

  /** A listener that gathers into this buffer, then calls `also` (e.g. an API store). */
  listener(also: EngineListener = {}): EngineListener {
    return {
      ...also,
      forecast: (f, actual) => {
        this.forecast(f, actual);
        also.forecast?.(f, actual);
      },
      forecastCopies: false, // the buffer keeps forecasts until the sinks have them
      alert: (a) => {
        this.alert(a);
        also.alert?.(a);
      },
      deadLetter: (d) => {
        this.deadLetter(d);
        also.deadLetter?.(d);
      },
    };
  }
}
