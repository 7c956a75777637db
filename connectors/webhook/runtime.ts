// The webhook as a runtime output sink: alerts only (forecasts and dead letters are not posted).
// Deliveries run in the background in order; flush waits for them. A delivery that fails after all
// retries is counted and warned about, never thrown: a dead receiver must not stall ingestion or
// checkpoints, since the alert is also in the log, the API and any Kafka/InfluxDB sink.
import type { BatchOutputs, OutputSink } from '../../src/core/ports.js';
import { WebhookSink, type WebhookSinkDeps } from './webhook-sink.js';

export interface WebhookSinkContext extends WebhookSinkDeps {
  readonly warn?: (err: unknown, message: string) => void;
}

export function webhookOutputSink(
  cfg: unknown,
  ctx: WebhookSinkContext = {},
): OutputSink & { readonly sink: WebhookSink; readonly failed: () => number } {
  const sink = new WebhookSink(cfg, ctx);
  const abort = new AbortController();
  let failed = 0;
  let chain: Promise<void> = Promise.resolve();
  return {
    kind: 'webhook',
    sink,
    failed: () => failed,
    write(out: BatchOutputs): Promise<void> {
      if (out.alerts.length === 0) return Promise.resolve();
      const batch = out.alerts.slice();
      chain = chain.then(async () => {
        for (const alert of batch) {
          try {
            await sink.write([alert], abort.signal);
          } catch (err) {
            failed++;
            ctx.warn?.(err, 'Webhook delivery failed; alert dropped for this sink.');
          }
        }
      });
      return Promise.resolve();
    },
    flush: () => chain,
    async close(): Promise<void> {
      await chain;
      abort.abort();
    },
  };
}
