// Alert events as signed JSON POSTs, retried with backoff on network errors, timeouts, 5xx and 429.
// Other 4xx mean the receiver rejects the event itself: no retry, a non-retriable sink_rejected.
import type { AlertEvent, AlertSink } from '../../src/core/alert-event.js';
import { TidecastError } from '../../src/core/errors.js';
import { abortableSleep, backoffDelay, type BackoffOptions } from '../../src/core/backoff.js';
import { SIGNATURE_HEADER, signBody } from './signature.js';
import { WebhookSinkOptions } from './webhook-options.js';

export interface WebhookSinkDeps {
  /** Jitter source (default Math.random). */
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each retry, e.g. to count or log it. */
  readonly onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

export class WebhookSink implements AlertSink {
  readonly kind = 'webhook';
  readonly options: WebhookSinkOptions;
  readonly stats = { sent: 0, attempts: 0, retries: 0, failed: 0 };
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    options: unknown,
    private readonly deps: WebhookSinkDeps = {},
  ) {
    this.options = WebhookSinkOptions.parse(options);
    this.backoff = { initialMs: this.options.backoff_initial_ms, maxMs: this.options.backoff_max_ms, jitter: 'full' };
    this.random = deps.random ?? Math.random;
    this.sleep = deps.sleep ?? abortableSleep;
  }

  /** Posts the events one by one, in order; rejects on the first that cannot be delivered. */
  async write(batch: readonly AlertEvent[], signal?: AbortSignal): Promise<void> {
    for (const event of batch) await this.post(event, signal);
  }

  async close(): Promise<void> {}

  private async post(event: AlertEvent, signal?: AbortSignal): Promise<void> {
    const body = JSON.stringify(event);
    const headers = {
      ...this.options.headers,
      'content-type': 'application/json',
      'x-tidecast-alert-id': encodeURIComponent(event.id),
      [SIGNATURE_HEADER]: signBody(this.options.secret, body),
    };
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.options.max_attempts; attempt++) {
      if (attempt > 1) {
        const delay = backoffDelay(this.backoff, attempt - 1, this.random);
        this.stats.retries++;
        this.deps.onRetry?.(attempt, delay, lastError);
        await this.sleep(delay, signal);
      }
      this.stats.attempts++;
      const outcome = await this.attempt(body, headers, signal);
      if (outcome === 'ok') {
        this.stats.sent++;
        return;
      }
      if (outcome instanceof TidecastError && !outcome.retriable) {
        this.stats.failed++;
        throw outcome;
      }
      lastError = outcome;
      if (signal?.aborted) break;
    }
    this.stats.failed++;
    throw new TidecastError(
      `Webhook ${this.options.url} failed ${this.options.max_attempts} attempts for alert ${event.id}.`,
      'sink_rejected',
      true,
      { cause: lastError },
    );
  }

  /** One POST: 'ok', or the error (retriable or not). Never throws. */
  private async attempt(body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<'ok' | Error> {
    const timeout = AbortSignal.timeout(this.options.timeout_ms);
    try {
      const res = await fetch(this.options.url, {
        method: 'POST',
        body,
        headers,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      await res.arrayBuffer().catch(() => undefined); // drain so the connection is reused
      if (res.ok) return 'ok';
      const retriable = res.status >= 500 || res.status === 429 || res.status === 408;
      return new TidecastError(`Webhook answered ${res.status} ${res.statusText}.`, 'sink_rejected', retriable);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }
}
