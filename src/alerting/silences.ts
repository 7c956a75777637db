// Silences: a stream glob (optionally one rule) and a time window during which notifications are held
// back. The lifecycle goes on underneath, so an alert still firing when a silence ends is not lost.
import { TidecastError } from '../core/errors.js';
import { SilenceOptions } from './rule-options.js';
import { compileGlob, type StreamGlob } from './stream-glob.js';

export interface Silence {
  readonly id: string;
  readonly pattern: string;
  readonly rule?: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly comment: string;
}

export class Silences {
  private readonly byId = new Map<string, { silence: Silence; re: StreamGlob }>();
  private next = 1;

  /** Validates (snake_case, as in the pipeline file and the API body) and adds a silence. */
  addSilence(input: unknown): Silence {
    const parsed = SilenceOptions.safeParse(input);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new TidecastError(`Invalid silence: ${detail}`, 'config_invalid', false);
    }
    const o = parsed.data;
    const silence: Silence = {
      id: `silence-${this.next++}`,
      pattern: o.pattern,
      rule: o.rule,
      startsAt: o.starts_at,
      endsAt: o.ends_at,
      comment: o.comment,
    };
    this.byId.set(silence.id, { silence, re: compileGlob(o.pattern) });
    return silence;
  }

  /**
   * Re-adds a silence saved by an earlier run under its own id (so clients can still delete it by
   * that id); a new id only if the pipeline file's silences took that one this time.
   */
  restoreSilence(saved: Silence): Silence {
    const silence = this.byId.has(saved.id) ? { ...saved, id: `silence-${this.next++}` } : saved;
    const n = /^silence-(\d+)$/.exec(silence.id);
    if (n !== null) this.next = Math.max(this.next, Number(n[1]) + 1);
    this.byId.set(silence.id, { silence, re: compileGlob(silence.pattern) });
    return silence;
  }

  removeSilence(id: string): boolean {
    return this.byId.delete(id);
  }

  /** All silences, or only those not yet ended at `now`. */
  listSilences(now?: number): Silence[] {
    const out: Silence[] = [];
    for (const { silence } of this.byId.values()) if (now === undefined || silence.endsAt > now) out.push(silence);
    return out;
  }

  isSilenced(stream: string, rule: string, t: number): boolean {
    for (const { silence, re } of this.byId.values()) {
      if (t < silence.startsAt || t >= silence.endsAt) continue;
      if (silence.rule !== undefined && silence.rule !== rule) continue;
      if (re.test(stream)) return true;
    }
    return false;
  }
}
