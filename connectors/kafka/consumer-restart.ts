import type { GroupConsumerPort } from './clients/port.js';
import { isBrokerOutage } from './broker-outage.js';
import type { KafkaLog } from './client.js';

/** What restarting a consumer needs from its source. */
export interface ConsumerRestartTarget {
  readonly consumer: GroupConsumerPort;
  readonly log: KafkaLog;
  /** First pause after a crash; it doubles while the brokers stay away. */
  readonly initialDelayMs: number;
  /** Cap on the doubled pause (a larger initial pause is kept as is). */
  readonly maxDelayMs: number;
  /** True once the source is closing: no restart then. */
  isClosing(): boolean;
  /** `consumer.run(...)` again, with the source's batch handler. */
  run(): Promise<void>;
  /** Fails the source: the error cannot be waited out. */
  fail(err: unknown): void;
}

/**
 * Keeps a consumer alive through a broker outage. kafkajs restarts a crashed consumer only after retriable
 * errors, but a broker restart can also end in a "non-retriable" one (no group coordinator while it comes
 * back): without this the intake would stop for good.
 */
export class ConsumerRestart {
  constructor(private readonly target: ConsumerRestartTarget) {}

  /** Handles the consumer's CRASH event. */
  onCrash(error: Error, restartedByKafkajs: boolean): void {
    const t = this.target;
    t.log.warn({ err: error.message, restart: restartedByKafkajs }, 'Kafka consumer crashed.');
    if (restartedByKafkajs || t.isClosing()) return;
    if (isBrokerOutage(error)) this.runAgain(t.initialDelayMs);
    else t.fail(error);
  }

  /**
   * Runs the crashed consumer (kafkajs has disconnected it) again after `delayMs`, doubling the pause while
   * the brokers stay away. Its join refetches every partition from the committed offsets.
   */
  private runAgain(delayMs: number): void {
    const t = this.target;
    const next = Math.min(2 * delayMs, Math.max(t.maxDelayMs, delayMs));
    setTimeout(() => {
      if (t.isClosing()) return;
      t.log.warn({ afterMs: delayMs }, 'Running the Kafka consumer again.');
      t.consumer
        .connect()
        .then(() => t.run())
        .catch((err: unknown) => {
          if (t.isClosing()) return;
          if (isBrokerOutage(err)) this.runAgain(next);
          else t.fail(err);
        });
    }, delayMs).unref();
  }
}
