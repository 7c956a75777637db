// Event times to epoch milliseconds: numbers (epoch s/ms/us/ns, or guessed from the magnitude) and
// strings (digits, or RFC 3339; a time without a zone is read as UTC, never as the host's zone).

export type TimeUnit = 'auto' | 's' | 'ms' | 'us' | 'ns';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;
const DIGITS = /^-?\d+(\.\d+)?$/;

/** Epoch ms, or NaN when the value is no time. */
export function parseEventTime(v: unknown, unit: TimeUnit): number {
  if (typeof v === 'number') return Number.isFinite(v) ? scale(v, unit) : NaN;
  if (typeof v !== 'string') return NaN;
  const s = v.trim();
  if (DIGITS.test(s)) return digitsToMs(s, unit);
  return parseRfc3339(s);
}

export function scale(v: number, unit: TimeUnit): number {
  const u = unit === 'auto' ? guessUnit(v) : unit;
  return u === 's' ? v * 1000 : u === 'ms' ? v : u === 'us' ? v / 1000 : v / 1e6;
}

function guessUnit(v: number): Exclude<TimeUnit, 'auto'> {
  const a = Math.abs(v);
  return a < 1e11 ? 's' : a < 1e14 ? 'ms' : a < 1e17 ? 'us' : 'ns';
}

/** Integer strings beyond 2^53 (ns) are split so no precision is lost before the division. */
export function digitsToMs(s: string, unit: TimeUnit): number {
  if (s.includes('.') || s.length < 16) return scale(Number(s), unit);
  const u = unit === 'auto' ? guessUnit(Number(s)) : unit;
  if (u === 's' || u === 'ms') return scale(Number(s), u);
  const big = BigInt(s);
  const div = u === 'us' ? 1000n : 1_000_000n;
  return Number(big / div) + Number(big % div) / Number(div);
}

export function parseRfc3339(s: string): number {
  const m = RFC3339.exec(s);
  if (m === null) return NaN;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [h, mi, sec] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return NaN;
  const frac = m[7] === undefined ? 0 : Number(m[7]) * 1000;
  let ms = Date.UTC(y, mo - 1, d, h, mi, sec) + frac;
  if (new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d) return NaN;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}
