import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigIssue } from './config-issue.js';
import { parsePipelineText, type LoadResult } from './load-pipeline.js';
import { locate } from './locate.js';
import { isAutoStep } from '../operators/step-setting.js';
import { PATHLESS_FILE_SOURCE } from './file-sources.js';

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
        warnings.push({ file, line: at.line, col: at.col, path: pathText([...base, 'sources', si, 'path']), message: `warning: ${PATHLESS_FILE_SOURCE}` });
      } else if (s.kind === 'file' && s.path !== undefined && !existsSync(s.path)) {
        const at = locate(doc, lc, [...base, 'sources', si, 'path']);
        issues.push({ file, line: at.line, col: at.col, path: pathText([...base, 'sources', si, 'path']), message: `file "${s.path}" does not exist`, hint: 'paths are relative to the working directory' });
      }
    });
    if (isAutoStep(p) && !p.sources.some((s) => s.kind === 'file' && s.path !== undefined)) {
      const at = locate(doc, lc, [...base, 'step_ms']);
      warnings.push({ file, line: at.line, col: at.col, path: pathText([...base, 'step_ms']), message: 'warning: "auto" with no file source to infer the step from: `tidecast replay`/`train` infer it from --input; `tidecast run` refuses it' });
    }
    if (p.model.path !== undefined && !existsSync(p.model.path)) {
      const at = locate(doc, lc, [...base, 'model', 'path']);
      issues.push({ file, line: at.line, col: at.col, path: pathText([...base, 'model', 'path']), message: `model file "${p.model.path}" does not exist`, hint: 'write it with `tidecast train`' });
    }
  });
  warnings.sort((a, b) => a.line - b.line || a.col - b.col);
  return issues.length > 0 ? { ok: false, issues, warnings } : { ...result, warnings };
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
