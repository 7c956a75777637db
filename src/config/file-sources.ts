import type { FileSourceConfig } from '../../connectors/file/config.js';
import type { PipelineSpec } from './pipeline-schema.js';

// A pipeline's file sources as the file connector reads them. A file source may leave out `path` in
// a pipeline used only with `tidecast replay` or `train` (their --input is the file; the source
// declares the columns); `tidecast run` refuses such a source (pathlessFileSources).

/** The pipeline's file sources that name a file. */
export function fileSources(spec: Pick<PipelineSpec, 'sources'>): FileSourceConfig[] {
  return spec.sources.flatMap((s) => (s.kind === 'file' && s.path !== undefined ? [{ ...s, path: s.path }] : []));
}

/** Indexes of the pipeline's file sources without a path. */
export function pathlessFileSources(spec: Pick<PipelineSpec, 'sources'>): number[] {
  return spec.sources.flatMap((s, i) => (s.kind === 'file' && s.path === undefined ? [i] : []));
}

/** Why `run` cannot use a file source without a path, for its error and `validate`'s warning. */
export const PATHLESS_FILE_SOURCE =
  'file source without a path: `tidecast replay`/`train` read their --input with its columns; `tidecast run` refuses it';
