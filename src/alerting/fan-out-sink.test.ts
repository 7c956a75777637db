import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertEvent, AlertSink } from '../core/alert-event.js';
import { FanOutSink } from './fan-out-sink.js';
import { LogSink } from './log-sink.js';

const EVENT = { id: 'a|r|0', stream: 'a', rule: 'r', state: 'firing' } as AlertEvent;

class MemorySink implements AlertSink {
  readonly got: AlertEvent[] = [];
  constructor(
    readonly kind: string,
    private readonly fail = false,
  ) {}
  async write(batch: readonly AlertEvent[]) {
    if (this.fail) throw new Error(`${this.kind} down`);
    this.got.push(...batch);
  }
  async close() {}
}

describe('FanOutSink', () => {
  it('delivers to every healthy sink and counts failures without throwing', async () => {
    const ok = new MemorySink('kafka');
    const bad = new MemorySink('webhook', true);
    const errors: string[] = [];
    const fan = new FanOutSink([ok, bad], (name, e) => errors.push(`${name}: ${(e as Error).message}`));
    await fan.write([EVENT]);
    await fan.write([EVENT]);
    await fan.write([]);
    expect(ok.got).toHaveLength(2);
    expect(fan.failures.get('webhook')).toBe(2);
    expect(fan.failures.get('kafka')).toBe(0);
    expect(errors).toEqual(['webhook: webhook down', 'webhook: webhook down']);
  });

  it('names repeated kinds by position', async () => {
    const fan = new FanOutSink([new MemorySink('webhook', true), new MemorySink('webhook')]);
    await fan.write([EVENT]);
    expect([...fan.failures]).toEqual([
      ['webhook#0', 1],
      ['webhook#1', 0],
    ]);
  });
});

describe('LogSink', () => {
  it('logs firing at warn and resolved at info with the alert fields', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const dest = new Writable({
      write(chunk, _e, cb) {
        lines.push(JSON.parse(String(chunk)));
        cb();
      },
    });
    const sink = new LogSink(pino({ level: 'info' }, dest));
    await sink.write([EVENT, { ...EVENT, state: 'resolved' }]);
    expect(lines.map((l) => [l.level, l.msg, (l.alert as AlertEvent).id])).toEqual([
      [40, 'Alert firing.', 'a|r|0'],
      [30, 'Alert resolved.', 'a|r|0'],
    ]);
    expect(lines[0].component).toBe('alerting');
  });
});
