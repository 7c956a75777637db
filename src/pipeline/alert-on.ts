import { map, type MonoTypeOperatorFunction } from 'rxjs';
import type { BatchOutputs } from '../core/ports.js';
import type { AlertStage } from '../engine/engine-alert-stage.js';
import type { PendingOutputs } from './engine-stages.js';
import type { PipelineBatch } from './pipeline-batch.js';

// alertOn(rules): the pipeline's alert rules over each batch's forecast steps. forecast() records
// every step it makes (the actual, the forecast that was pending for it, the new forecast and the
// model's variance: flat typed arrays, engine-forecast-steps.ts); this operator's AlertStage, which
// owns the AlertEngine, scores them in the order they were made, makes their step rows and alert
// events, and adds the events to the batch's outputs. It must come right after forecast() (or
// endOfData()): the next forecast call replaces the recorded steps. On the batch that closes the
// data it also settles what waits for later steps (AlertEngine.flush).

export function alertOn(rules: AlertStage, outputs: PendingOutputs): MonoTypeOperatorFunction<PipelineBatch> {
  return map((b) => {
    rules.score();
    if (b.endOfData) rules.flush();
    b.outputs = joined(b.outputs, outputs.take());
    return b;
  });
}

/** a then b; allocates only where both have something. */
function joined(a: BatchOutputs, b: BatchOutputs): BatchOutputs {
  const n = b.forecasts.length + b.alerts.length + b.deadLetters.length;
  if (n === 0) return a;
  const forecasts = b.forecasts.length === 0 ? a.forecasts : [...a.forecasts, ...b.forecasts];
  const actuals =
    b.forecasts.length === 0 ? a.actuals : [...(a.actuals ?? a.forecasts.map(() => null)), ...(b.actuals ?? b.forecasts.map(() => null))];
  return {
    forecasts,
    ...(actuals === undefined ? {} : { actuals }),
    alerts: a.alerts.length === 0 ? b.alerts : [...a.alerts, ...b.alerts],
    deadLetters: b.deadLetters.length === 0 ? a.deadLetters : [...a.deadLetters, ...b.deadLetters],
  };
}
