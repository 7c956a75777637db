import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigIssue } from './config-issue.js';
import { parsePipelineText, type LoadedFile, type LoadResult } from './load-pipeline.js';
import { locate } from './locate.js';
import { isAutoStep } from '../operators/step-setting.js';
import { PATHLESS_FILE_SOURCE } from './file-sources.js';
import { isLoopback } from '../api/auth.js';

// `tidecast validate`: the schema, then what only the machine can tell (files that must exist).
// Warnings are what one command can use and another cannot: a file source without a path (and
// step_ms: auto with no file to infer it from) serve `replay`/`train`, which take --input, but
// `run` refuses them. Warnings do not fail validation.

export type ValidateResult = LoadResult & { readonly warnings?: readonly ConfigIssue[] };

export async function validatePipelineFile(file: string): Promise<ValidateResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, issues: [{ file, line: 1, col: 1, path: '', message: `cannot read file: ${(err as Error).message}` }] };
  }
  const result = parsePipelineText(text, file);
  if (!result.ok) return result;
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const bundle = result.value.pipelines.length > 1 || doc.has('pipelines');
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  result.value.pipelines.forEach((p, pi) => {
    const base = bundle ? ['pipelines', pi] : [];
    p.sources.forEach((s, si) => {
      if (s.kind === 'file' && s.path === undefined) {
        const at = locate(doc, lc, [...base, 'sources', si]);
        warnings.push({
          file,
          line: at.line,
          col: at.col,
          path: pathText([...base, 'sources', si, 'path']),
          message: `warning: ${PATHLESS_FILE_SOURCE}`,
        });
      } else if (s.kind === 'file' && s.path !== undefined && !existsSync(s.path)) {
        const at = locate(doc, lc, [...base, 'sources', si, 'path']);
        issues.push({
          file,
          line: at.line,
          col: at.col,
          path: pathText([...base, 'sources', si, 'path']),
          message: `file "${s.path}" does not exist`,
          hint: 'paths are relative to the working directory',
        });
      }
    });
    if (isAutoStep(p) && !p.sources.some((s) => s.kind === 'file' && s.path !== undefined)) {
      const at = locate(doc, lc, [...base, 'step_ms']);
      warnings.push({
        file,
        line: at.line,
        col: at.col,
        path: pathText([...base, 'step_ms']),
        message:
          'warning: "auto" with no file source to infer the step from: `tidecast replay`/`train` infer it from --input; `tidecast run` refuses it',
      });
    }
    if (p.model.path !== undefined && !existsSync(p.model.path)) {
      const at = locate(doc, lc, [...base, 'model', 'path']);
      issues.push({
        file,
        line: at.line,
        col: at.col,
        path: pathText([...base, 'model', 'path']),
        message: `model file "${p.model.path}" does not exist`,
        hint: 'write it with `tidecast train`',
      });
    }
  });
  issues.push(...httpIssues(result.value.http, file, (path) => locate(doc, lc, path)));
  warnings.sort((a, b) => a.line - b.line || a.col - b.col);
  return issues.length > 0 ? { ok: false, issues, warnings } : { ...result, warnings };
}

/** What `run` would refuse in the http section: an open non-loopback host, missing TLS or token files. */
function httpIssues(
  http: LoadedFile['http'],
  file: string,
  at: (path: (string | number)[]) => { line: number; col: number },
): ConfigIssue[] {
  if (http === undefined) return [];
  const out: ConfigIssue[] = [];
  const issue = (path: (string | number)[], message: string, hint?: string) =>
    out.push({ file, ...at(path), path: pathText(path), message, ...(hint && { hint }) });
  if (!isLoopback(http.host) && http.auth === undefined) {
    issue(
      ['http', 'host'],
      `"${http.host}" is not loopback and http.auth is not set: \`tidecast run\` refuses to start`,
      'add http.auth.tokens (read/write, from env or file), or http.auth: none to serve it open on purpose',
    );
  }
  if (http.auth !== undefined && http.auth !== 'none') {
    http.auth.tokens.forEach((t, i) => {
      if (t.file !== undefined && !existsSync(t.file))
        issue(['http', 'auth', 'tokens', i, 'file'], `token file "${t.file}" does not exist`);
    });
  }
  for (const k of ['cert', 'key'] as const) {
    const f = http.tls?.[k];
    if (f !== undefined && !existsSync(f)) issue(['http', 'tls', k], `TLS ${k} file "${f}" does not exist`);
  }
  return out;
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
