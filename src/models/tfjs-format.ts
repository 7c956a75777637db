import { TidecastError } from '../core/errors.js';
import type { Kernels } from './kernels/kernels.js';
import { portableKernels } from './kernels/portable.js';
import type { ActivationName, CellKind, GateActivationName } from './cell-config.js';
import { modelWeights, setCellWeights, setHeadWeights } from './keras-weights.js';
import { StackedModel, type ModelConfig } from './stacked-model.js';

// The tfjs-layers format: model.json (a Keras Sequential topology of SimpleRNN / LSTM / GRU layers,
// optional Dropout between them, and a Dense head, plus a weights manifest) and weights.bin
// (float32, little-endian, manifest order). The head's units are horizon·outputSize·2 in our
// output order; horizon and outputSize travel in userDefinedMetadata.tidecast.
// The peephole LSTM has no Keras/tfjs class: it is saved as class "TidecastPeepholeLSTM" (LSTM config,
// plus weights input_/forget_/output_gate_peephole_weights [units]); only Tidecast loads it.
// tfjs has no reset-after GRU (Keras's default): such models load in Keras and here, not in tfjs.

export const PEEPHOLE_CLASS = 'TidecastPeepholeLSTM';

export interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: 'float32';
}

export interface TfjsModelJson {
  readonly format: 'layers-model';
  readonly generatedBy: string;
  readonly convertedBy: string | null;
  readonly modelTopology: Record<string, unknown>;
  readonly weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  readonly userDefinedMetadata?: Record<string, unknown>;
}

export interface TidecastMetadata {
  horizon: number;
  outputSize: number;
  seed: number;
}

export interface LoadOptions {
  readonly kernels?: Kernels;
  /** Needed for models without Tidecast metadata when the head is not horizon·2 wide with one target. */
  readonly horizon?: number;
  readonly outputSize?: number;
  readonly seed?: number;
}

/** The echo state reservoir (esn-cell.ts): SimpleRNN weights plus a leak_rate; not a tfjs layer. */
const ESN_CLASS = 'TidecastEchoState';
const CLASS_OF: Record<CellKind, string> = { rnn: 'SimpleRNN', lstm: 'LSTM', 'lstm-peephole': PEEPHOLE_CLASS, gru: 'GRU', esn: ESN_CLASS };
const KIND_OF: Record<string, CellKind> = {
  SimpleRNN: 'rnn',
  LSTM: 'lstm',
  [PEEPHOLE_CLASS]: 'lstm-peephole',
  GRU: 'gru',
  [ESN_CLASS]: 'esn',
};

/** model.json content and the weights.bin bytes. */
export function toTfjs(model: StackedModel, weightsPath = 'weights.bin'): { modelJson: TfjsModelJson; weightData: ArrayBuffer } {
  const c = model.config;
  const layers: Record<string, unknown>[] = [];
  const specs: WeightSpec[] = [];
  const chunks: Float32Array[] = [];
  const weights = modelWeights(model);
  model.cells.forEach((cell, l) => {
    const name = `${CLASS_OF[c.kind].toLowerCase()}_${l + 1}`;
    if (l > 0 && model.dropout > 0)
      layers.push({ class_name: 'Dropout', config: { name: `dropout_${l}`, trainable: true, rate: model.dropout } });
    const config: Record<string, unknown> = {
      name,
      trainable: true,
      dtype: 'float32',
      units: cell.units,
      activation: cell.config.activation,
      use_bias: true,
      return_sequences: true,
      return_state: false,
      go_backwards: false,
      stateful: false,
      unroll: false,
      dropout: 0,
      recurrent_dropout: 0,
    };
    if (l === 0) config.batch_input_shape = [null, null, c.inputSize];
    if (c.kind === 'esn') config.leak_rate = cell.config.leakRate ?? 1;
    else if (c.kind !== 'rnn') config.recurrent_activation = cell.config.recurrentActivation;
    if (c.kind.startsWith('lstm')) config.unit_forget_bias = cell.config.unitForgetBias;
    if (c.kind === 'gru') config.reset_after = cell.config.resetAfter;
    layers.push({ class_name: CLASS_OF[c.kind], config });
    for (const w of weights[l]) {
      specs.push({ name: `${name}/${w.name}`, shape: [...w.shape], dtype: 'float32' });
      chunks.push(w.data);
    }
  });
  layers.push({
    class_name: 'Dense',
    config: { name: 'dense', trainable: true, units: model.outputWidth, activation: 'linear', use_bias: true },
  });
  for (const w of weights[weights.length - 1]) {
    specs.push({ name: `dense/${w.name}`, shape: [...w.shape], dtype: 'float32' });
    chunks.push(w.data);
  }
  const total = chunks.reduce((a, ch) => a + ch.length, 0);
  const flat = new Float32Array(total);
  let off = 0;
  for (const ch of chunks) {
    flat.set(ch, off);
    off += ch.length;
  }
  const metadata: TidecastMetadata = { horizon: c.horizon, outputSize: c.outputSize, seed: c.seed };
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'Tidecast',
      convertedBy: null,
      modelTopology: {
        class_name: 'Sequential',
        config: { name: 'tidecast', layers },
        keras_version: 'tfjs-layers 4.22.0',
        backend: 'tensor_flow.js',
      },
      weightsManifest: [{ paths: [weightsPath], weights: specs }],
      userDefinedMetadata: { tidecast: metadata },
    },
    weightData: flat.buffer,
  };
}

function fail(detail: string): never {
  throw new TidecastError(`tfjs model: ${detail}.`, 'schema_mismatch', false);
}

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

function topologyLayers(topology: unknown): LayerJson[] {
  const t = (topology as { model_config?: unknown })?.model_config ?? topology; // Keras-Python converter wraps it
  const top = t as { class_name?: unknown; config?: unknown };
  if (top?.class_name !== 'Sequential') fail(`only Sequential models load, got ${String(top?.class_name)}`);
  const cfg = top.config as { layers?: unknown } | unknown[];
  const layers = Array.isArray(cfg) ? cfg : (cfg as { layers?: unknown })?.layers;
  if (!Array.isArray(layers)) fail('the Sequential config has no layers');
  return layers as LayerJson[];
}

function activationOf(v: unknown, allowed: readonly string[], where: string): string {
  const name = typeof v === 'string' ? v : ((v as { class_name?: string } | null)?.class_name ?? 'linear');
  const normal = name === 'hardSigmoid' ? 'hard_sigmoid' : name;
  if (!allowed.includes(normal)) fail(`${where}: activation ${name} is not supported (${allowed.join(', ')})`);
  return normal;
}

/** Loads model.json content (object or text) and the concatenated weight bytes of its manifest paths. */
export function fromTfjs(modelJson: unknown, weightData: ArrayBuffer, options: LoadOptions = {}): StackedModel {
  const json = (typeof modelJson === 'string' ? JSON.parse(modelJson) : modelJson) as Partial<TfjsModelJson>;
  if (!Array.isArray(json?.weightsManifest)) fail('model.json has no weightsManifest');
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  return fromArtifacts(json.modelTopology, specs, weightData, json.userDefinedMetadata, options);
}

/** Loads tf.io ModelArtifacts (what tfjs hands a save handler). */
export function fromArtifacts(
  topology: unknown,
  specs: readonly { name: string; shape: number[]; dtype?: string; quantization?: unknown }[],
  weightData: ArrayBuffer,
  metadata: Record<string, unknown> | undefined,
  options: LoadOptions = {},
): StackedModel {
  const layers = topologyLayers(topology).filter((l) => l.class_name !== 'InputLayer');
  const rnn = layers.filter((l) => l.class_name in KIND_OF);
  const dropouts = layers.filter((l) => l.class_name === 'Dropout');
  const dense = layers[layers.length - 1];
  const unknown = layers.find((l) => !(l.class_name in KIND_OF) && l.class_name !== 'Dropout' && l !== dense);
  if (unknown !== undefined) fail(`layer class ${unknown.class_name} is not supported`);
  if (rnn.length === 0 || dense?.class_name !== 'Dense') fail('expected recurrent layers followed by one Dense head');
  const kinds = new Set(rnn.map((l) => KIND_OF[l.class_name]));
  if (kinds.size > 1) fail(`mixed recurrent layer classes ${[...kinds].join(', ')}`);
  const weights = weightTable(specs, weightData);
  const kind = [...kinds][0];
  const first = rnn[0].config;
  const act = activationOf(first.activation ?? 'tanh', ['tanh', 'relu', 'linear'], String(first.name)) as ActivationName;
  const recAct = activationOf(
    first.recurrent_activation ?? 'sigmoid',
    ['sigmoid', 'hard_sigmoid'],
    String(first.name),
  ) as GateActivationName;
  for (const l of rnn) {
    if (l.config.go_backwards === true) fail(`${String(l.config.name)}: go_backwards is not supported`);
    if (activationOf(l.config.activation ?? 'tanh', [act], String(l.config.name)) !== act) fail('layers differ in activation');
    if (kind !== 'rnn') activationOf(l.config.recurrent_activation ?? 'sigmoid', [recAct], String(l.config.name));
  }
  const firstKernel = layerWeights(weights, String(first.name), 0).get('kernel');
  if (firstKernel === undefined) fail(`${String(first.name)}: no kernel weight`);
  const meta = (metadata?.tidecast ?? {}) as Partial<TidecastMetadata>;
  const headUnits = Number(dense.config.units);
  const outputSize = options.outputSize ?? meta.outputSize ?? 1;
  const horizon = options.horizon ?? meta.horizon ?? headUnits / (2 * outputSize);
  if (!Number.isInteger(horizon) || horizon * outputSize * 2 !== headUnits) {
    fail(`the Dense head has ${headUnits} units; Tidecast needs horizon·outputSize·2 (mean and log-variance per target)`);
  }
  activationOf(dense.config.activation ?? 'linear', ['linear'], 'dense');
  const config: ModelConfig = {
    kind,
    inputSize: firstKernel.shape[0],
    units: rnn.map((l) => Number(l.config.units)),
    layers: rnn.length,
    horizon,
    outputSize,
    activation: act,
    recurrentActivation: recAct,
    unitForgetBias: first.unit_forget_bias !== false,
    resetAfter: kind === 'gru' ? first.reset_after !== false : true,
    dropout: dropouts.length > 0 ? Number(dropouts[0].config.rate) : 0,
    seed: options.seed ?? meta.seed ?? 0,
    ...(kind === 'esn' ? { leakRate: Number(first.leak_rate ?? 1) } : {}),
  };
  if (kind === 'gru' && rnn.some((l) => (l.config.reset_after !== false) !== config.resetAfter)) fail('GRU layers differ in reset_after');
  const model = new StackedModel(config, options.kernels ?? portableKernels);
  let position = 0;
  model.cells.forEach((cell, l) => {
    const name = String(rnn[l].config.name);
    const table = layerWeights(weights, name, position);
    if (rnn[l].config.use_bias === false)
      table.set('bias', { name: 'bias', shape: cell.params[2].shape, data: new Float32Array(cell.params[2].data.length) });
    setCellWeights(cell, table, name);
    position += table.size;
  });
  const head = layerWeights(weights, String(dense.config.name), position);
  if (dense.config.use_bias === false)
    head.set('bias', { name: 'bias', shape: model.headBias.shape, data: new Float32Array(model.headBias.data.length) });
  setHeadWeights(model, head, String(dense.config.name));
  return model;
}

interface Entry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

function weightTable(
  specs: readonly { name: string; shape: number[]; dtype?: string; quantization?: unknown }[],
  data: ArrayBuffer,
): Entry[] {
  const out: Entry[] = [];
  let off = 0;
  for (const s of specs) {
    if ((s.dtype ?? 'float32') !== 'float32' || s.quantization !== undefined)
      fail(`weight ${s.name}: only unquantised float32 weights load, got ${s.dtype}`);
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (off + n * 4 > data.byteLength) fail(`weights data has ${data.byteLength} bytes, the manifest needs more (at ${s.name})`);
    out.push({ name: s.name.replace(/:\d+$/, ''), shape: s.shape, data: new Float32Array(data.slice(off, off + n * 4)) });
    off += n * 4;
  }
  if (off !== data.byteLength) fail(`weights data has ${data.byteLength} bytes, the manifest describes ${off}`);
  return out;
}

/** A layer's weights by short name: by the "layer/..." prefix, else by position in the manifest. */
function layerWeights(all: readonly Entry[], layer: string, position: number): Map<string, Entry> {
  const named = all.filter((w) => w.name.startsWith(`${layer}/`));
  const picked = named.length > 0 ? named : all.slice(position, position + (all.length - position));
  const table = new Map<string, Entry>();
  for (const w of picked) {
    const short = w.name.slice(w.name.lastIndexOf('/') + 1);
    if (named.length === 0 && table.has(short)) break; // positional: stop at the next layer's weights
    table.set(short, w);
  }
  return table;
}
