import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigIssue } from './config-issue.js';
import { parsePipelineText, type LoadResult } from './load-pipeline.js';
import { locate } from './locate.js';

// `tidecast validate`: the schema, then what only the machine can tell (files that must exist).

export async function validatePipelineFile(file: string): Promise<LoadResult> {
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
  result.value.pipelines.forEach((p, pi) => {
    const base = bundle ? ['pipelines', pi] : [];
    p.sources.forEach((s, si) => {
      if (s.kind === 'file' && !existsSync(s.path)) {
        const at = locate(doc, lc, [...base, 'sources', si, 'path']);
        issues.push({ file, line: at.line, col: at.col, path: pathText([...base, 'sources', si, 'path']), message: `file "${s.path}" does not exist`, hint: 'paths are relative to the working directory' });
      }
    });
    if (p.model.path !== undefined && !existsSync(p.model.path)) {
      const at = locate(doc, lc, [...base, 'model', 'path']);
      issues.push({ file, line: at.line, col: at.col, path: pathText([...base, 'model', 'path']), message: `model file "${p.model.path}" does not exist`, hint: 'write it with `tidecast train`' });
    }
  });
  return issues.length > 0 ? { ok: false, issues } : result;
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
