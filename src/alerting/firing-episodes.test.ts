import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../core/alert-event.js';
import { FiringEpisodes } from './firing-episodes.js';

function ev(
  id: string,
  state: AlertEvent['state'],
  severity: AlertEvent['severity'],
  detector: AlertEvent['detector'] = 'score',
): AlertEvent {
  return { id, state, severity, detector } as AlertEvent;
}

describe('FiringEpisodes', () => {
  it('counts episodes from firing to resolved under their latest severity', () => {
    const f = new FiringEpisodes();
    const seen: string[] = [];
    const events = [
      ev('a', 'pending', 'warning'),
      ev('a', 'firing', 'warning'),
      ev('b', 'firing', 'critical'),
      ev('a', 'firing', 'critical'),
      ev('a', 'firing', 'critical'),
      ev('s', 'firing', 'warning', 'storm_control'),
      ev('b', 'resolved', 'critical'),
      ev('c', 'resolved', 'warning'),
      ev('a', 'resolved', 'critical'),
    ];
    for (const e of events) {
      const changed = f.observe(e);
      seen.push(`${changed ? '*' : '-'}${f.firing.warning}/${f.firing.critical}`);
    }
    expect(seen).toEqual(['-0/0', '*1/0', '*1/1', '*0/2', '-0/2', '-0/2', '*0/1', '-0/1', '*0/0']);
  });
});
