import type { AlertEvent, AlertSeverity } from '../core/alert-event.js';

// Alert episodes firing now, per severity, from the stream of alert events (tidecast_alerts_firing):
// an episode counts from its first firing event until its resolved event, under its latest severity
// (an escalation moves it from warning to critical). Storm summaries are not episodes.

export class FiringEpisodes {
  private readonly open = new Map<string, AlertSeverity>();
  readonly firing: Record<AlertSeverity, number> = { warning: 0, critical: 0 };

  /** Returns true when the counts changed. */
  observe(a: AlertEvent): boolean {
    if (a.detector === 'storm_control' || a.state === 'pending') return false;
    const was = this.open.get(a.id);
    if (a.state === 'resolved') {
      if (was === undefined) return false;
      this.open.delete(a.id);
      this.firing[was]--;
      return true;
    }
    if (was === a.severity) return false;
    if (was !== undefined) this.firing[was]--;
    this.open.set(a.id, a.severity);
    this.firing[a.severity]++;
    return true;
  }
}
