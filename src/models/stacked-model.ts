import { TidecastError } from '../core/errors.js';
import type { Kernels } from './kernels/kernels.js';
import { portableKernels } from './kernels/portable.js';
import {
  makeParam,
  type ActivationName,
  type CellConfig,
  type CellKind,
  type GateActivationName,
  type Param,
  type RecurrentCell,
} from './cell-config.js';
import { ElmanCell } from './elman-cell.js';
import { LstmCell } from './lstm-cell.js';
import { GruCell } from './gru-cell.js';
import { EsnCell } from './esn-cell.js';

// N recurrent layers and a dense head. For every step the head emits, per horizon 1..H and target
// 1..O, a mean and a log-variance: output column ((h·O) + o)·2 + {0: mean, 1: log-variance}.
// Per-stream state is one flat row: for each layer, h (units) then c (units, LSTM only).

export interface ModelConfig {
  readonly kind: CellKind;
  readonly inputSize: number;
  /** One size for all layers, or one per layer. */
  readonly units: number | readonly number[];
  readonly layers: number;
  readonly horizon: number;
  readonly outputSize: number;
  /** rnn state activation / lstm, gru candidate activation. Default tanh. */
  readonly activation?: ActivationName;
  /** Gate activation. Default sigmoid. */
  readonly recurrentActivation?: GateActivationName;
  /** LSTM forget-gate bias starts at 1. Default true. */
  readonly unitForgetBias?: boolean;
  /** GRU variant. Default true (Keras default). */
  readonly resetAfter?: boolean;
  /** Dropout rate on the inputs of layers 2..N, training only. Default 0. */
  readonly dropout?: number;
  /** ESN: leak rate of the reservoir in (0, 1]. Default 1. */
  readonly leakRate?: number;
  readonly seed: number;
}

export interface LayerStateLayout {
  readonly units: number;
  /** Offset of h in the state row. */
  readonly hOffset: number;
  /** Offset of c in the state row, -1 when the cell has none. */
  readonly cOffset: number;
}

export class StackedModel {
  readonly config: ModelConfig;
  readonly kernels: Kernels;
  readonly cells: readonly RecurrentCell[];
  readonly headKernel: Param;
  readonly headBias: Param;
  /** Width of one output row: horizon · outputSize · 2. */
  readonly outputWidth: number;
  readonly stateSize: number;
  readonly stateLayout: readonly LayerStateLayout[];
  readonly dropout: number;

  /** Weights start at zero: initialise them (training/init) or load them (tfjs-format). */
  constructor(config: ModelConfig, kernels: Kernels = portableKernels) {
    validateConfig(config);
    this.config = config;
    this.kernels = kernels;
    const units = layerUnits(config);
    const cells: RecurrentCell[] = [];
    const layout: LayerStateLayout[] = [];
    let offset = 0;
    for (let l = 0; l < config.layers; l++) {
      const cell = createCell(kernels, cellConfig(config, l === 0 ? config.inputSize : units[l - 1], units[l]));
      cells.push(cell);
      layout.push({ units: units[l], hOffset: offset, cOffset: cell.hasCellState ? offset + units[l] : -1 });
      offset += (cell.hasCellState ? 2 : 1) * units[l];
    }
    this.cells = cells;
    this.stateLayout = layout;
    this.stateSize = offset;
    this.outputWidth = config.horizon * config.outputSize * 2;
    const top = units[units.length - 1];
    this.headKernel = makeParam(kernels, 'dense/kernel', [top, this.outputWidth]);
    this.headBias = makeParam(kernels, 'dense/bias', [this.outputWidth]);
    this.dropout = config.dropout ?? 0;
  }

  /** Every trainable parameter: layer by layer, then the head. */
  params(): Param[] {
    const out: Param[] = [];
    for (const cell of this.cells) out.push(...cell.params);
    out.push(this.headKernel, this.headBias);
    return out;
  }

  zeroGrads(): void {
    for (const p of this.params()) p.grad.fill(0);
  }

  /** out[B×outputWidth] = h[B×top]·W + b. */
  head(batch: number, h: Float32Array, hOff: number, out: Float32Array, outOff: number): void {
    const w = this.outputWidth;
    const top = this.headKernel.shape[0];
    this.kernels.gemm(batch, w, top, h, hOff, this.headKernel.data, 0, out, outOff, 0);
    const bias = this.headBias.data;
    for (let b = 0; b < batch; b++) {
      const o = outOff + b * w;
      for (let j = 0; j < w; j++) out[o + j] += bias[j];
    }
  }

  /** A copy with the same config and weights (e.g. for a training candidate). */
  clone(kernels: Kernels = this.kernels): StackedModel {
    const copy = new StackedModel(this.config, kernels);
    const from = this.params();
    copy.params().forEach((p, i) => {
      p.data.set(from[i].data);
    });
    return copy;
  }
}

export function layerUnits(config: ModelConfig): number[] {
  const u = config.units;
  return typeof u === 'number' ? Array.from({ length: config.layers }, () => u) : [...u];
}

function cellConfig(config: ModelConfig, inputSize: number, units: number): CellConfig {
  return {
    kind: config.kind,
    inputSize,
    units,
    activation: config.activation ?? 'tanh',
    recurrentActivation: config.recurrentActivation ?? 'sigmoid',
    unitForgetBias: config.unitForgetBias ?? true,
    resetAfter: config.resetAfter ?? true,
    ...(config.leakRate === undefined ? {} : { leakRate: config.leakRate }),
  };
}

export function createCell(k: Kernels, config: CellConfig): RecurrentCell {
  switch (config.kind) {
    case 'rnn':
      return new ElmanCell(k, config);
    case 'lstm':
    case 'lstm-peephole':
      return new LstmCell(k, config);
    case 'gru':
      return new GruCell(k, config);
    case 'esn':
      return new EsnCell(k, config);
  }
}

function positiveInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

function validateConfig(c: ModelConfig): void {
  const problems: string[] = [];
  if (!['rnn', 'lstm', 'lstm-peephole', 'gru', 'esn'].includes(c.kind))
    problems.push(`kind must be rnn, lstm, lstm-peephole, gru or esn, got ${String(c.kind)}`);
  for (const key of ['inputSize', 'layers', 'horizon', 'outputSize'] as const) {
    if (!positiveInt(c[key])) problems.push(`${key} must be a positive integer, got ${String(c[key])}`);
  }
  const units = typeof c.units === 'number' ? [c.units] : c.units;
  if (!Array.isArray(units)) problems.push('units must be a number or an array');
  else if (!units.every(positiveInt)) problems.push(`units must be positive integers, got ${String(c.units)}`);
  else if (typeof c.units !== 'number' && units.length !== c.layers)
    problems.push(`units has ${units.length} entries for ${c.layers} layers`);
  if (c.dropout !== undefined && !(c.dropout >= 0 && c.dropout < 1)) problems.push(`dropout must be in [0, 1), got ${c.dropout}`);
  if (c.activation !== undefined && !['tanh', 'relu', 'linear'].includes(c.activation))
    problems.push(`activation ${c.activation} is not supported`);
  if (c.recurrentActivation !== undefined && !['sigmoid', 'hard_sigmoid'].includes(c.recurrentActivation))
    problems.push(`recurrentActivation ${c.recurrentActivation} is not supported`);
  if (problems.length > 0) throw new TidecastError(`Invalid model config: ${problems.join('; ')}.`, 'config_invalid', false);
}
