import { BatchedStepper } from '../models/batched-stepper.js';
import type { StackedModel } from '../models/stacked-model.js';
import { StateArena } from '../models/state-arena.js';
import { StreamEmbeddingTable } from '../models/stream-embedding-table.js';

// The fitted streams' embeddings (stream-embedding-table.ts): each stream's recurrent state after
// the model has read its fit window from the zero state, all streams stepped as one batch.

export function stateEmbeddings(
  model: StackedModel,
  data: { readonly steps: number; readonly batch: number; readonly inputs: Float32Array },
  streams: readonly string[],
): StreamEmbeddingTable {
  const S = data.batch,
    inSize = model.config.inputSize;
  const arena = new StateArena(model.stateSize, S);
  const slots = Int32Array.from(streams.slice(0, S), (k) => arena.slotOf(k));
  const stepper = new BatchedStepper(model, arena, Math.min(S, 256));
  const out = new Float32Array(S * model.outputWidth);
  for (let t = 0; t < data.steps; t++) stepper.step(slots, slots.length, data.inputs.subarray(t * S * inSize, (t + 1) * S * inSize), out);
  const table = new Float32Array(slots.length * model.stateSize);
  slots.forEach((slot, i) => {
    table.set(arena.data.subarray(slot * model.stateSize, (slot + 1) * model.stateSize), i * model.stateSize);
  });
  return new StreamEmbeddingTable(streams.slice(0, S), model.stateSize, table);
}
