import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePipelineText, type LoadResult } from './load-pipeline.js';

// Hostile pipeline files: whatever the text, loading answers ok or issues with a position and a
// message, never throws, and does bounded work (alias bombs, deep nesting).

const PIPELINES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'pipelines');
const SHIPPED = readdirSync(PIPELINES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(join(PIPELINES, f), 'utf8'));

function wellFormed(r: LoadResult): boolean {
  if (r.ok) return r.value.pipelines.length > 0;
  return r.issues.length > 0 && r.issues.every((i) => i.line >= 1 && i.col >= 1 && typeof i.message === 'string' && i.message.length > 0);
}

function load(text: string): LoadResult {
  return parsePipelineText(text, 'fuzz.yaml');
}

/** One edit of a shipped file: drop, duplicate or replace a line, or splice characters in. */
const mutation = fc.tuple(
  fc.constantFrom(...SHIPPED),
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('dup' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.string({ maxLength: 40 }) }),
      fc.record({
        kind: fc.constant('splice' as const),
        at: fc.nat(),
        text: fc.constantFrom(':', '- ', '{', ']', '&a', '*a', '!!binary', '"', '\t', '  ', '0x1p3', '.nan', '~', '1e999'),
      }),
    ),
    { minLength: 1, maxLength: 6 },
  ),
);

function apply(text: string, edits: readonly { kind: string; at: number; text?: string }[]): string {
  const lines = text.split('\n');
  for (const e of edits) {
    const i = e.at % Math.max(1, lines.length);
    if (e.kind === 'drop') lines.splice(i, 1);
    else if (e.kind === 'dup') lines.splice(i, 0, lines[i] ?? '');
    else if (e.kind === 'replace') lines[i] = e.text ?? '';
    else {
      const line = lines[i] ?? '';
      const col = e.at % (line.length + 1);
      lines[i] = line.slice(0, col) + (e.text ?? '') + line.slice(col);
    }
  }
  return lines.join('\n');
}

describe('pipeline files under fuzzing', () => {
  it('shipped files load', () => {
    for (const text of SHIPPED) expect(load(text).ok).toBe(true);
  });

  it('any text: ok or positioned issues, never a throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => wellFormed(load(text))),
      { numRuns: 400 },
    );
  });

  it('edited shipped files: ok or positioned issues, never a throw', () => {
    fc.assert(
      fc.property(mutation, ([text, edits]) => wellFormed(load(apply(text, edits)))),
      { numRuns: 300 },
    );
  });

  it('arbitrary JSON-like documents (YAML is a superset): ok or issues', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => wellFormed(load(JSON.stringify(v)))),
      { numRuns: 300 },
    );
  });

  it('an alias bomb and 10,000-deep nesting are refused with an issue', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const bombResult = load(bomb.join('\n'));
    expect(bombResult.ok).toBe(false);
    expect(wellFormed(bombResult)).toBe(true);
    const deep = load(`name: x\nsources: ${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    expect(deep.ok).toBe(false);
    expect(wellFormed(deep)).toBe(true);
  });
});
