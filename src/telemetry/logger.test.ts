import { describe, expect, it } from 'vitest';
import { componentLogger, createLogger, memoryDestination } from './logger.js';

describe('logger', () => {
  it('writes JSON lines with level names and component bindings', () => {
    const dest = memoryDestination();
    const root = createLogger({ level: 'info', destination: dest });
    const log = componentLogger(root, 'source', { pipeline: 'weather', connector: 'kafka' });
    log.info({ partition: 3 }, 'Partition state restored.');
    log.debug({}, 'Not written at info.');
    expect(dest.lines).toHaveLength(1);
    const line = dest.lines[0];
    expect(line).toMatchObject({
      level: 'info',
      service: 'tidecast',
      component: 'source',
      pipeline: 'weather',
      connector: 'kafka',
      partition: 3,
      msg: 'Partition state restored.',
    });
    expect(typeof line.time).toBe('string');
    expect(Number.isNaN(Date.parse(line.time as string))).toBe(false);
  });

  it('honours the level', () => {
    const dest = memoryDestination();
    const log = createLogger({ level: 'warn', destination: dest });
    log.info({}, 'hidden');
    log.warn({ code: 'late_record' }, 'Late records dropped.');
    expect(dest.lines.map((l) => l.level)).toEqual(['warn']);
  });
});
