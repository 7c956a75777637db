import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// One room per concern, checked on the tree itself: the import rules docs/architecture.md states.
// Tests may import across rooms (they wire things up); product code may not.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const IMPORT = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g;

function productFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...productFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.startsWith('testing-')) out.push(path);
  }
  return out;
}

/** Repo-relative targets of a file's relative imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[1] ?? '')));
}

function violations(files: string[], allowed: (target: string) => boolean): string[] {
  return files.flatMap((f) =>
    importsOf(f)
      .filter((t) => !allowed(t))
      .map((t) => `${f} -> ${t}`),
  );
}

describe('room layout', () => {
  it('src/core imports nothing outside src/core', () => {
    expect(violations(productFiles('src/core'), (t) => t.startsWith('src/core/'))).toEqual([]);
  });

  it('src reaches connectors only through the wiring (src/runtime, src/config, src/cli)', () => {
    const files = productFiles('src').filter((f) => !/^src\/(runtime|config|cli)\//.test(f));
    expect(violations(files, (t) => !t.startsWith('connectors/'))).toEqual([]);
  });

  it('connectors do not import the daemon wiring, the API or the CLI', () => {
    expect(violations(productFiles('connectors'), (t) => !/^src\/(runtime|api|cli)\//.test(t))).toEqual([]);
  });

  it('Kafka client code lives under connectors/kafka', () => {
    const outside = [...productFiles('src'), ...productFiles('connectors').filter((f) => !f.startsWith('connectors/kafka/'))].filter((f) =>
      /from '(kafkajs|@platformatic\/kafka)'/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(outside).toEqual([]);
  });

  it('every room has a README', () => {
    const rooms = [
      ...readdirSync(join(ROOT, 'src')).map((d) => `src/${d}`),
      ...readdirSync(join(ROOT, 'connectors')).map((d) => `connectors/${d}`),
    ].filter((d) => statSync(join(ROOT, d)).isDirectory());
    expect(rooms.filter((d) => !existsSync(join(ROOT, d, 'README.md')))).toEqual([]);
  });
});
