// Alert events to the process log (pino): firing at warn, pending and resolved at info.
import type { Logger } from 'pino';
import type { AlertEvent, AlertSink } from '../core/alert-event.js';

export class LogSink implements AlertSink {
  readonly kind = 'log';
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log.child({ component: 'alerting', sink: 'log' });
  }

  async write(batch: readonly AlertEvent[]): Promise<void> {
    for (const e of batch) {
      const fields = { alert: e };
      if (e.state === 'firing') this.log.warn(fields, e.summary ? 'Alerts held back by storm control.' : 'Alert firing.');
      else if (e.state === 'resolved') this.log.info(fields, 'Alert resolved.');
      else this.log.info(fields, 'Alert pending.');
    }
  }

  async close(): Promise<void> {}
}
