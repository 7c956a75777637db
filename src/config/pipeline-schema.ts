import { z } from 'zod';
import type { KafkaConnection } from '../../connectors/kafka/config.js';
import { SinkConfig, SourceConfig } from '../../connectors/registry.js';
import { AlertingOptions } from '../alerting/rule-options.js';
import { PipelineDataOptions } from '../operators/options.js';
import { esnIssues } from './esn-section.js';
import { onlineHeadIssues } from './online-head-section.js';
import { seq2seqIssues } from './seq2seq-section.js';
import { HttpSection, LimitsSection, ModelSection, StateSection, TrainingSection } from './sections.js';

// A pipeline file holds either one pipeline, or a bundle `{ http, pipelines: [...] }` so that one
// file (the embedded demo) can run several domains in one process.

const pipelineName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "_" and "-"')
  .describe('Pipeline name: appears in logs, metrics, the API and every forecast.');

export const PipelineSpec = z
  .object({
    name: pipelineName,
    description: z.string().default('').describe('Free text shown in the API and dashboard.'),
    ...dataOptionsShape(),
    sources: z.array(SourceConfig).min(1).describe('Where observations come from.'),
    sinks: z.array(SinkConfig).default([]).describe('Where forecasts, alerts and dead letters go (the API always gets them).'),
    model: ModelSection.describe('The recurrent model: one hidden state per stream.'),
    training: TrainingSection.default(TrainingSection.parse({})).describe('Offline fit at start and online retraining.'),
    alerting: AlertingOptions.default(AlertingOptions.parse({})).describe('Scoring of forecast deviations and alert rules.'),
    state: StateSection.describe('Checkpoints.'),
    limits: LimitsSection.default(LimitsSection.parse({})).describe('Bounded work per HTTP ingest request and per pipeline.'),
    http: HttpSection.optional().describe('API and dashboard; a single-pipeline file may set it here.'),
  })
  .strict()
  .superRefine((p, ctx) => {
    // The data options' own cross-field rules (duplicate fields, a target field).
    const data = PipelineDataOptions.safeParse(dataPart(p));
    if (!data.success) for (const i of data.error.issues) if (i.code === 'custom') ctx.addIssue({ ...i, code: 'custom' });
    const target = targetField(p);
    if (p.state.models_topic !== undefined && ![...p.sources, ...p.sinks].some((c) => c.kind === 'kafka')) {
      ctx.addIssue({ code: 'custom', message: 'needs a Kafka source or sink (their connection is used)', path: ['state', 'models_topic'] });
    }
    for (const issue of onlineHeadIssues(p)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of esnIssues(p)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of seq2seqIssues(p)) ctx.addIssue({ code: 'custom', ...issue });
    const names = new Set<string>();
    p.sources.forEach((s, i) => {
      const name = s.name ?? `${s.kind}-${i}`;
      if (names.has(name)) ctx.addIssue({ code: 'custom', message: `duplicate source name "${name}"`, path: ['sources', i, 'name'] });
      names.add(name);
      if (s.kind === 'file' && s.key_column !== undefined && !s.value_columns.includes(target)) {
        ctx.addIssue({
          code: 'custom',
          message: `target field "${target}" is not among value_columns [${s.value_columns.join(', ')}]`,
          path: ['sources', i, 'value_columns'],
        });
      }
      // The stream pipeline dead-letters every record with a field it does not know.
      const known = new Set(p.fields.map((f) => f.name));
      const read =
        s.kind === 'influxdb'
          ? { key: 'fields', names: s.fields }
          : s.kind === 'file' && s.key_column !== undefined
            ? { key: 'value_columns', names: s.value_columns }
            : undefined;
      const unknown = read?.names.filter((n) => !known.has(n)) ?? [];
      if (read !== undefined && unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `${unknown.map((n) => `"${n}"`).join(', ')} not among the pipeline's fields [${[...known].join(', ')}]: every record would be dead-lettered`,
          path: ['sources', i, read.key],
        });
      }
    });
  });

export const PipelineBundle = z
  .object({
    http: HttpSection.optional().describe('API and dashboard shared by all pipelines of the process.'),
    pipelines: z.array(PipelineSpec).min(1).describe('Pipelines run side by side in one process.'),
  })
  .strict()
  .superRefine((b, ctx) => {
    const names = new Map<string, number>();
    const dirs = new Map<string, number>();
    b.pipelines.forEach((p, i) => {
      if (names.has(p.name))
        ctx.addIssue({ code: 'custom', message: `duplicate pipeline name "${p.name}"`, path: ['pipelines', i, 'name'] });
      if (dirs.has(p.state.dir))
        ctx.addIssue({
          code: 'custom',
          message: `state.dir "${p.state.dir}" is shared with pipelines[${dirs.get(p.state.dir)}]`,
          path: ['pipelines', i, 'state', 'dir'],
        });
      names.set(p.name, i);
      dirs.set(p.state.dir, i);
    });
  });

function dataOptionsShape(): typeof PipelineDataOptions.shape {
  return PipelineDataOptions.shape;
}

/** The stream pipeline's options of a pipeline (for src/operators). */
export function dataPart(p: PipelineSpec): PipelineDataOptions {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(PipelineDataOptions.shape)) out[k] = (p as Record<string, unknown>)[k];
  return out as PipelineDataOptions;
}

/** The forecast field: the first field with role target. */
export function targetField(p: Pick<PipelineSpec, 'fields'>): string {
  return (p.fields.find((f) => f.role === 'target') ?? p.fields[0]).name;
}

/** The Kafka connection of a pipeline's first Kafka source, else of its first Kafka sink. */
export function kafkaConnectionOf(p: Pick<PipelineSpec, 'sources' | 'sinks'>): KafkaConnection | undefined {
  for (const c of [...p.sources, ...p.sinks]) if (c.kind === 'kafka') return c.connection;
  return undefined;
}

/** What editors validate against: either form. */
export const PipelineFile = z.union([PipelineSpec, PipelineBundle]);

export type PipelineSpec = z.infer<typeof PipelineSpec>;
export type PipelineBundle = z.infer<typeof PipelineBundle>;
