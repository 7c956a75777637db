import type { FastCellKind, FastStepSpec } from './step-layout.js';
import { randomFloats } from './test-random.js';

// Random stacked specs for the stepper tests, in Keras layout.

const GATES: Record<FastCellKind, number> = { rnn: 1, lstm: 4, 'lstm-peephole': 4, gru: 3 };

export function randomSpec(
  rand: () => number,
  kind: FastCellKind,
  inputSize: number,
  units: readonly number[],
  outputs: number,
  resetAfter = true,
  scale = 0.5,
): FastStepSpec {
  const g = GATES[kind];
  let input = inputSize;
  const layers = units.map((u) => {
    const layer = {
      units: u,
      kernel: randomFloats(rand, input * g * u, scale),
      recurrentKernel: randomFloats(rand, u * g * u, scale),
      bias: randomFloats(rand, (kind === 'gru' && resetAfter ? 2 : 1) * g * u, scale),
      peephole: kind === 'lstm-peephole' ? randomFloats(rand, 3 * u, scale) : undefined,
    };
    input = u;
    return layer;
  });
  const head = outputs > 0 ? { kernel: randomFloats(rand, input * outputs, scale), bias: randomFloats(rand, outputs, scale) } : undefined;
  return { kind, inputSize, resetAfter, layers, head };
}
