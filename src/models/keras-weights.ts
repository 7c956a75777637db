import { TidecastError } from '../core/errors.js';
import type { RecurrentCell } from './cell-config.js';
import type { StackedModel } from './stacked-model.js';

// Conversion between the cells' internal parameters and the Keras/tfjs weight list of each layer
// (names, shapes and order as Keras saves them). Only GRU reset-before and the peephole LSTM keep
// a different internal layout.

export interface NamedWeight {
  /** Keras weight name without the layer prefix: kernel, recurrent_kernel, bias, ... */
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export const PEEPHOLE_NAMES = ['input_gate_peephole_weights', 'forget_gate_peephole_weights', 'output_gate_peephole_weights'] as const;

/** The cell's weights (or, with which = 'grad', their gradients) in Keras layout, as copies. */
export function cellWeights(cell: RecurrentCell, which: 'data' | 'grad' = 'data'): NamedWeight[] {
  const [kernel, rec, bias] = cell.params;
  const u = cell.units;
  const out: NamedWeight[] = [{ name: 'kernel', shape: kernel.shape, data: kernel[which].slice() }];
  if (cell.config.kind === 'gru' && !cell.config.resetAfter) {
    const full = new Float32Array(u * 3 * u);
    const zr = rec[which],
      h = cell.params[3][which];
    for (let i = 0; i < u; i++) {
      full.set(zr.subarray(i * 2 * u, (i + 1) * 2 * u), i * 3 * u);
      full.set(h.subarray(i * u, (i + 1) * u), i * 3 * u + 2 * u);
    }
    out.push({ name: 'recurrent_kernel', shape: [u, 3 * u], data: full });
  } else {
    out.push({ name: 'recurrent_kernel', shape: rec.shape, data: rec[which].slice() });
  }
  out.push({ name: 'bias', shape: bias.shape, data: bias[which].slice() });
  if (cell.config.kind === 'lstm-peephole') {
    const p = cell.params[3][which];
    PEEPHOLE_NAMES.forEach((name, g) => {
      out.push({ name, shape: [u], data: p.slice(g * u, (g + 1) * u) });
    });
  }
  return out;
}

/** Sets a cell from Keras-layout weights given by name; shapes must match exactly. */
export function setCellWeights(
  cell: RecurrentCell,
  weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  where: string,
): void {
  for (const expected of cellWeights(cell)) {
    const w = weights.get(expected.name);
    if (w === undefined) throw new TidecastError(`${where}: weight ${expected.name} is missing.`, 'schema_mismatch', false);
    if (w.shape.join(',') !== expected.shape.join(',') || w.data.length !== expected.data.length) {
      throw new TidecastError(
        `${where}: weight ${expected.name} has shape [${w.shape.join(', ')}], expected [${expected.shape.join(', ')}].`,
        'schema_mismatch',
        false,
      );
    }
  }
  const u = cell.units;
  const get = (name: string): Float32Array => weights.get(name)!.data;
  cell.params[0].data.set(get('kernel'));
  cell.params[2].data.set(get('bias'));
  const rec = get('recurrent_kernel');
  if (cell.config.kind === 'gru' && !cell.config.resetAfter) {
    const zr = cell.params[1].data,
      h = cell.params[3].data;
    for (let i = 0; i < u; i++) {
      zr.set(rec.subarray(i * 3 * u, i * 3 * u + 2 * u), i * 2 * u);
      h.set(rec.subarray(i * 3 * u + 2 * u, (i + 1) * 3 * u), i * u);
    }
  } else {
    cell.params[1].data.set(rec);
  }
  if (cell.config.kind === 'lstm-peephole') {
    PEEPHOLE_NAMES.forEach((name, g) => {
      cell.params[3].data.set(get(name), g * u);
    });
  }
}

/** Per layer (recurrent layers, then the head) its weights in Keras order. */
export function modelWeights(model: StackedModel, which: 'data' | 'grad' = 'data'): NamedWeight[][] {
  const layers = model.cells.map((c) => cellWeights(c, which));
  layers.push([
    { name: 'kernel', shape: model.headKernel.shape, data: model.headKernel[which].slice() },
    { name: 'bias', shape: model.headBias.shape, data: model.headBias[which].slice() },
  ]);
  return layers;
}

export function setHeadWeights(
  model: StackedModel,
  weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  where: string,
): void {
  for (const p of [model.headKernel, model.headBias]) {
    const name = p.name.split('/')[1];
    const w = weights.get(name);
    if (w === undefined || w.data.length !== p.data.length || w.shape.join(',') !== p.shape.join(',')) {
      throw new TidecastError(
        `${where}: weight ${name} is missing or has shape [${w?.shape.join(', ') ?? ''}], expected [${p.shape.join(', ')}].`,
        'schema_mismatch',
        false,
      );
    }
    p.data.set(w.data);
  }
}
