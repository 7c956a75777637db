import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob } from './stream-glob.js';

// The glob matcher against the regular expression it replaced (same language), and on the pattern
// that made that expression backtrack for seconds.

function reference(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

describe('compileGlob', () => {
  it('matches exactly what the segment-aware regular expression matches', () => {
    const glob = fc.array(fc.constantFrom('a', 'b', '/', '*', '**', '?', '.'), { maxLength: 8 }).map((p) => p.join(''));
    const key = fc.array(fc.constantFrom('a', 'b', '/', '.'), { maxLength: 10 }).map((p) => p.join(''));
    fc.assert(
      fc.property(glob, key, (g, k) => compileGlob(g).test(k) === reference(g).test(k)),
      { numRuns: 5000 },
    );
  });

  it('answers the backtracking pattern at once, and correctly', () => {
    const glob = compileGlob('weather/*a*a*a*a*a*a*a*a*a*ab');
    expect(glob.test(`weather/${'a'.repeat(5000)}`)).toBe(false);
    expect(glob.test(`weather/${'a'.repeat(50)}b`)).toBe(true);
    expect(glob.test(`weather/${'a'.repeat(50)}/b`)).toBe(false);
  });

  it('keeps * and ? within a segment and lets ** cross them', () => {
    expect(compileGlob('pump/*').test('pump/a')).toBe(true);
    expect(compileGlob('pump/*').test('pump/a/b')).toBe(false);
    expect(compileGlob('pump/**').test('pump/a/b')).toBe(true);
    expect(compileGlob('?/x').test('/x')).toBe(false);
    expect(compileGlob('').test('')).toBe(true);
    expect(compileGlob('').test('a')).toBe(false);
  });
});

describe('compileGlob work', () => {
  it('takes steps linear in the key length on the backtracking pattern, within length x pattern size', () => {
    const pattern = 'weather/*a*a*a*a*a*a*a*a*a*ab';
    const steps = (n: number): number => {
      const work = { steps: 0 };
      const key = `weather/${'a'.repeat(n)}`;
      expect(compileGlob(pattern, work).test(key)).toBe(false);
      expect(work.steps).toBeLessThanOrEqual(key.length * (pattern.length + 1));
      return work.steps;
    };
    const [s1, s2, s4] = [steps(1_000), steps(2_000), steps(4_000)];
    // Doubling the key doubles the work (a backtracking matcher's would grow by a high power).
    expect(s2 / s1).toBeGreaterThan(1.8);
    expect(s2 / s1).toBeLessThan(2.2);
    expect(s4 / s2).toBeLessThan(2.2);
  });

  it('is what silences match with: the backtracking pattern saved as a silence answers (a regex would hang the test)', async () => {
    const { Silences } = await import('./silences.js');
    const s = new Silences();
    s.addSilence({ pattern: 'weather/*a*a*a*a*a*a*a*a*a*ab', starts_at: 0, ends_at: 10 });
    expect(s.isSilenced(`weather/${'a'.repeat(20_000)}`, 'r', 5)).toBe(false);
    expect(s.isSilenced(`weather/${'a'.repeat(41)}b`, 'r', 5)).toBe(true);
  });
});
