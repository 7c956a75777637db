import { createHash } from 'node:crypto';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import { TidecastError } from '../core/errors.js';
import { loadTfjsModel, saveTfjsModel } from '../models/tfjs-file-io.js';
import type { ModelRunner } from './model-runner.js';

// A trained model on disk, as `tidecast train` writes it and model.path reads it: the tfjs-layers
// format (a directory with model.json and weights.bin), loadable by TensorFlow.js and Keras too.

export async function writeModelFile(dir: string, runner: ModelRunner): Promise<void> {
  if (runner.seq2seq !== null)
    throw new TidecastError(
      'A seq2seq model has no tfjs-layers file: it is fitted at start and kept in checkpoints.',
      'config_invalid',
      false,
    );
  await saveTfjsModel(dir, runner.model);
}

export async function loadModelFile(path: string, spec: PipelineSpec, runner: ModelRunner): Promise<void> {
  let model: Awaited<ReturnType<typeof loadTfjsModel>>;
  try {
    model = await loadTfjsModel(path);
  } catch (err) {
    throw new TidecastError(`Cannot load model ${path}: ${(err as Error).message}`, 'config_invalid', false, { cause: err });
  }
  const c = model.config;
  const want = spec.model;
  const units = typeof c.units === 'number' ? c.units : c.units[0];
  if (
    c.kind !== want.cell ||
    c.layers !== want.layers ||
    units !== want.units ||
    c.horizon !== want.horizon ||
    c.inputSize !== runner.inputSize ||
    c.outputSize !== 1
  ) {
    throw new TidecastError(
      `Model ${path} is ${c.kind} ${c.layers}×${units} h=${c.horizon} with ${c.inputSize} inputs; the pipeline needs ${want.cell} ${want.layers}×${want.units} h=${want.horizon} with ${runner.inputSize} inputs.`,
      'config_invalid',
      false,
    );
  }
  const hash = createHash('sha256');
  for (const p of model.params()) hash.update(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
  runner.swap(model, `${want.cell}-file-${hash.digest('hex').slice(0, 8)}`);
}
