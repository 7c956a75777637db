// The pipeline specs the accuracy bench replays: a pipeline of a file in pipelines/, edited as the
// bench needs (sinks removed, replay pacing off, model.online_head removed or kept, another file
// source), with model.forecaster set per variant. Validated by the same parser as `tidecast replay`;
// a variant the schema rejects (the knob missing or its value unknown) comes back as a reason, not a throw.
import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { parsePipelineText } from '../src/config/load-pipeline.js';
import type { PipelineSpec } from '../src/config/pipeline-schema.js';

/** served: the default forecaster (no model.forecaster key: what the daemon serves). */
export const VARIANTS = ['served', 'readout', 'recurrent'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface SpecEdit {
  /** The pipeline's name in a bundle file (pipelines: [...]); a single-pipeline file needs none. */
  readonly pipeline?: string;
  /** Replaces the file sources (raw pipeline-file form, e.g. { kind: 'file', path, key_column }). */
  readonly source?: Record<string, unknown>;
  /** Keep model.online_head (removed by default). */
  readonly keepOnlineHead?: boolean;
  /**
   * Another recurrent cell than the pipeline's (bench:accuracy --cells). esn gets ESN_BENCH's
   * reservoir and no online retraining (an ESN is not trained by backpropagation: the schema rejects it).
   */
  readonly cell?: string;
}

/** The echo state network the accuracy bench runs with --cells esn (model.units and model.esn). */
export const ESN_BENCH = {
  units: 64,
  esn: { spectral_radius: 0.9, leak_rate: 0.3, input_scaling: 0.5, sparsity: 0.9, ridge: 1e-3, washout_steps: 48 },
};

export type VariantSpec = { readonly ok: true; readonly spec: PipelineSpec } | { readonly ok: false; readonly reason: string };

/** The raw pipeline object of `file` (a bundle's pipeline by name). */
export async function rawPipeline(file: string, name?: string): Promise<Record<string, unknown>> {
  const doc = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  if (!Array.isArray(doc.pipelines)) return doc;
  const p = (doc.pipelines as Record<string, unknown>[]).find((x) => x.name === name);
  if (p === undefined) throw new Error(`${file}: no pipeline named ${name}`);
  return p;
}

export async function variantSpec(file: string, variant: Variant, edit: SpecEdit = {}): Promise<VariantSpec> {
  const raw = structuredClone(await rawPipeline(file, edit.pipeline));
  raw.sinks = [];
  const sources = (edit.source === undefined ? (raw.sources as Record<string, unknown>[]) : [edit.source]).map((s) => {
    const { replay: _pacing, ...rest } = s;
    return rest;
  });
  raw.sources = sources;
  const model = raw.model as Record<string, unknown>;
  if (!edit.keepOnlineHead) delete model.online_head;
  if (variant !== 'served') model.forecaster = variant;
  if (edit.cell !== undefined) model.cell = edit.cell;
  if (edit.cell === 'esn') {
    Object.assign(model, ESN_BENCH);
    const training = (raw.training ?? {}) as Record<string, unknown>;
    raw.training = { ...training, online: { ...(training.online as Record<string, unknown> | undefined), enabled: false } };
  }
  const loaded = parsePipelineText(stringify(raw), file);
  if (!loaded.ok) return { ok: false, reason: loaded.issues.map((i) => `${i.path}: ${i.message}`).join('; ') };
  return { ok: true, spec: loaded.value.pipelines[0] };
}
