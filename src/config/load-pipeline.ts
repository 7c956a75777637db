import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { TidecastError } from '../core/errors.js';
import { closest, formatIssue, formatPath, type ConfigIssue } from './config-issue.js';
import { pipelineJsonSchema, schemaAt } from './json-schema.js';
import { locate } from './locate.js';
import { PipelineBundle, PipelineSpec } from './pipeline-schema.js';
import type { HttpSection } from './sections.js';

// Pipeline file -> validated pipelines, or every problem at once with file:line:col, path and hint.

export interface LoadedFile {
  readonly file: string;
  readonly http: HttpSection | undefined;
  readonly pipelines: readonly PipelineSpec[];
}

export type LoadResult =
  | { readonly ok: true; readonly value: LoadedFile }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export class ConfigError extends TidecastError {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`Invalid pipeline file:\n${issues.map(formatIssue).join('\n')}`, 'config_invalid', false);
    this.name = 'ConfigError';
  }
}

/** A problem of the document as a whole, reported at its start. */
function wholeFileIssue(file: string, message: string, hint: string): LoadResult {
  return { ok: false, issues: [{ file, line: 1, col: 1, path: '', message, hint }] };
}

export function parsePipelineText(text: string, file: string): LoadResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, keepSourceTokens: false, uniqueKeys: true });
  const syntax = [...doc.errors, ...doc.warnings];
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: syntax.map((e) => {
        const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
        return { file, line: pos.line, col: pos.col, path: '', message: e.message.split('\n')[0], hint: `YAML ${e.code}` };
      }),
    };
  }
  // toJS resolves aliases: an unknown alias or an alias bomb (exponential expansion) throws there.
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return wholeFileIssue(
      file,
      (err as Error).message.split('\n')[0] ?? 'invalid YAML',
      'YAML aliases must name an earlier anchor and expand to a small document',
    );
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return wholeFileIssue(file, 'expected a mapping at the top level', 'a pipeline (name, step_ms, sources, ...) or `pipelines: [...]`');
  }
  const bundle = 'pipelines' in data;
  const parsed = (bundle ? PipelineBundle : PipelineSpec).safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((i) => toIssues(i, data, file, doc, lc));
    issues.sort((a, b) => a.line - b.line || a.col - b.col);
    return { ok: false, issues };
  }
  const value = parsed.data;
  return bundle
    ? { ok: true, value: { file, http: (value as PipelineBundle).http, pipelines: (value as PipelineBundle).pipelines } }
    : { ok: true, value: { file, http: (value as PipelineSpec).http, pipelines: [value as PipelineSpec] } };
}

export async function loadPipelineFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, issues: [{ file, line: 1, col: 1, path: '', message: `cannot read file: ${(err as Error).message}` }] };
  }
  return parsePipelineText(text, file);
}

/** Loads several files; throws one ConfigError with every issue of every file. */
export async function loadPipelineFiles(files: readonly string[]): Promise<LoadedFile[]> {
  const results = await Promise.all(files.map(loadPipelineFile));
  const issues = results.flatMap((r) => (r.ok ? [] : r.issues));
  if (issues.length > 0) throw new ConfigError(issues);
  return results.map((r) => (r as { value: LoadedFile }).value);
}

type ZodIssue = z.core.$ZodIssue;

function toIssues(issue: ZodIssue, data: unknown, file: string, doc: Parameters<typeof locate>[0], lc: LineCounter): ConfigIssue[] {
  const path = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(schemaAt(pipelineJsonSchema(), data, path)?.properties ?? {});
    return issue.keys.map((key) => {
      const pos = locate(doc, lc, [...path, key], true);
      const guess = closest(key, known);
      const hint = guess !== undefined ? `did you mean "${guess}"?` : `allowed keys: ${known.join(', ')}`;
      return { file, line: pos.line, col: pos.col, path: formatPath([...path, key]), message: 'unknown key', hint };
    });
  }
  const pos = locate(doc, lc, path);
  const description = schemaAt(pipelineJsonSchema(), data, path)?.description;
  const { message, hint } = describeIssue(issue, valueAt(data, path), description);
  return [{ file, line: pos.line, col: pos.col, path: formatPath(path), message, hint }];
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

function describeIssue(issue: ZodIssue, atPath: unknown, description: string | undefined): { message: string; hint?: string } {
  // Union issues report the whole object as input; the value at the path is what the reader wrote.
  const input = issue.code === 'invalid_union' ? atPath : (issue as { input?: unknown }).input;
  const got = input === undefined ? '' : `, got ${JSON.stringify(input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined
        ? { message: `required ${issue.expected} is missing`, hint: description }
        : { message: `expected ${issue.expected}${got}`, hint: description };
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v));
      const guess = typeof input === 'string' ? closest(input, issue.values.map(String)) : undefined;
      return {
        message: `must be one of ${allowed.join(' | ')}${got}`,
        hint: guess !== undefined ? `did you mean "${guess}"?` : description,
      };
    }
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (options !== undefined) {
        const guess = typeof input === 'string' ? closest(input, options.map(String)) : undefined;
        return {
          message: `must be one of ${options.map((o) => JSON.stringify(o)).join(' | ')}${got}`,
          hint: guess ? `did you mean "${guess}"?` : undefined,
        };
      }
      return { message: issue.message, hint: description };
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const op = issue.code === 'too_small' ? (inclusive ? '≥' : '>') : inclusive ? '≤' : '<';
      const what = issue.origin === 'array' ? 'item count' : issue.origin === 'string' ? 'length' : '';
      const actual = Array.isArray(input) ? `, got ${input.length}` : typeof input === 'string' ? `, got ${input.length}` : got;
      return { message: `${what ? `${what} ` : ''}must be ${op} ${String(bound)}${actual}`, hint: description };
    }
    case 'invalid_format':
      return { message: `${issue.message}${got}`, hint: description };
    case 'custom':
      return { message: issue.message };
    default:
      return { message: issue.message, hint: description };
  }
}
