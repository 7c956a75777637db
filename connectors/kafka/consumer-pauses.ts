import type { GroupConsumerPort } from './clients/port.js';

/**
 * Which partitions backpressure has paused, so each pause is counted once and resumed once. kafkajs keeps its
 * own paused set, but cannot tell us whether a resume undid a pause of ours.
 */
export class ConsumerPauses {
  private readonly paused = new Set<string>();

  constructor(
    private readonly consumer: GroupConsumerPort,
    private readonly stats: { pauses: number },
  ) {}

  pause(topic: string, partition: number): void {
    const k = `${topic}\u0000${partition}`;
    if (this.paused.has(k)) return;
    this.paused.add(k);
    this.stats.pauses++;
    pauseOrResume(() => this.consumer.pause(topic, partition));
  }

  resume(topic: string, partition: number): void {
    const k = `${topic}\u0000${partition}`;
    if (!this.paused.delete(k)) return;
    pauseOrResume(() => this.consumer.resume(topic, partition));
  }

  /** After a join every partition starts over from its committed offset, so nothing stays paused. */
  resumeAll(): void {
    for (const k of this.paused) {
      const [topic, partition] = k.split('\u0000');
      this.consumer.resume(topic, Number(partition));
    }
    this.paused.clear();
  }
}

/** kafkajs throws while a crashed consumer is not running; its next join starts every partition unpaused. */
function pauseOrResume(f: () => void): void {
  try {
    f();
  } catch {
    // nothing to pause or resume until the consumer runs again
  }
}
