import { TidecastError } from '../core/errors.js';
import type { FastStepSpec } from './kernels/step-layout.js';
import type { StackedModel } from './stacked-model.js';

// Hands a model's weights to the fused inference stepper in kernels/ (WASM SIMD or its portable
// twin). That stepper uses the same per-stream state row layout as StateArena/BatchedStepper, so
// either can advance the same arena. It supports the Keras defaults only: tanh, sigmoid gates.

export function fastStepSpec(model: StackedModel): FastStepSpec {
  const c = model.config;
  const cell0 = model.cells[0].config;
  // The leaky ESN reservoir has no fused kernel: it steps on BatchedStepper.
  if (c.kind === 'esn') throw new TidecastError('The fused stepper has no echo state (esn) cell.', 'config_invalid', false);
  if (cell0.activation !== 'tanh' || (c.kind !== 'rnn' && cell0.recurrentActivation !== 'sigmoid')) {
    throw new TidecastError(
      `The fused stepper needs tanh and sigmoid activations, the model has ${cell0.activation}/${cell0.recurrentActivation}.`,
      'config_invalid',
      false,
    );
  }
  return {
    kind: c.kind,
    inputSize: c.inputSize,
    resetAfter: cell0.resetAfter,
    layers: model.cells.map((cell) => {
      const [kernel, recurrent, bias, ...rest] = cellWeightsRaw(cell);
      return {
        units: cell.units,
        kernel,
        recurrentKernel: recurrent,
        bias,
        ...(c.kind === 'lstm-peephole' ? { peephole: rest[0] } : {}),
      };
    }),
    head: { kernel: model.headKernel.data, bias: model.headBias.data },
  };
}

/** kernel, recurrent kernel (Keras [u, G·u]), bias, then peephole [3, u] if any; views where possible. */
function cellWeightsRaw(cell: StackedModel['cells'][number]): Float32Array[] {
  const p = cell.params;
  if (cell.config.kind === 'gru' && !cell.config.resetAfter) {
    const u = cell.units;
    const full = new Float32Array(u * 3 * u);
    for (let i = 0; i < u; i++) {
      full.set(p[1].data.subarray(i * 2 * u, (i + 1) * 2 * u), i * 3 * u);
      full.set(p[3].data.subarray(i * u, (i + 1) * u), i * 3 * u + 2 * u);
    }
    return [p[0].data, full, p[2].data];
  }
  return p.map((q) => q.data);
}
