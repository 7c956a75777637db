import { z } from 'zod';
import { PipelineFile } from './pipeline-schema.js';

// The JSON Schema editors validate pipeline files against (input shape: defaults are optional).

export type JsonSchema = {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly [k: string]: unknown;
};

let cached: JsonSchema | undefined;

export function pipelineJsonSchema(): JsonSchema {
  cached ??= {
    ...(z.toJSONSchema(PipelineFile, { io: 'input', unrepresentable: 'any', reused: 'ref' }) as JsonSchema),
    title: 'Tidecast pipeline file',
  };
  return cached;
}

/** The schema node at a data path: picks the union branch whose `kind`/`api`/`mechanism` matches the data. */
export function schemaAt(root: JsonSchema, data: unknown, path: readonly PropertyKey[]): JsonSchema | undefined {
  const pickBranch = (n: JsonSchema, d: unknown) => pick(root, deref(root, n), d);
  let node: JsonSchema | undefined = pickBranch(root, data);
  let value = data;
  for (const seg of path) {
    if (node === undefined) return undefined;
    const child: JsonSchema | undefined = typeof seg === 'number' ? node.items : node.properties?.[String(seg)];
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
    node = child === undefined ? undefined : pickBranch(child, value);
  }
  return node;
}

/** Follows local `$ref`s ("#/$defs/x"), keeping the referring node's description. */
function deref(root: JsonSchema, node: JsonSchema): JsonSchema {
  let n = node;
  for (let i = 0; i < 16 && typeof n.$ref === 'string' && n.$ref.startsWith('#/'); i++) {
    let target: unknown = root;
    for (const seg of n.$ref.slice(2).split('/')) target = (target as Record<string, unknown> | undefined)?.[seg];
    if (target === undefined) break;
    n = { ...(target as JsonSchema), ...(n.description !== undefined ? { description: n.description } : {}) };
  }
  return n;
}

function pick(root: JsonSchema, node: JsonSchema, data: unknown): JsonSchema {
  const pickBranch = (n: JsonSchema, d: unknown) => pick(root, deref(root, n), d);
  const branches = node.anyOf ?? node.oneOf;
  if (branches === undefined) return node;
  const obj = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  for (const raw of branches) {
    const b = deref(root, raw);
    const props = b.properties ?? {};
    const tag = Object.entries(props).find(([, p]) => p.const !== undefined);
    if (tag !== undefined && obj[tag[0]] === tag[1].const) return pickBranch(b, data);
  }
  // No tag matched: prefer the branch sharing most keys with the data (bundle vs single pipeline).
  let best = deref(root, branches[0]);
  let bestScore = -1;
  for (const raw of branches) {
    const b = deref(root, raw);
    const score = Object.keys(obj).filter((k) => b.properties?.[k] !== undefined).length;
    if (score > bestScore) [best, bestScore] = [b, score];
  }
  return pickBranch(best, data);
}
