import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SequenceRunner } from '../training/sequence.js';
import type { ModelConfig, StackedModel } from './stacked-model.js';
import { fileIOHandler, loadTfjsModel, saveTfjsModel } from './tfjs-file-io.js';
import { fromTfjs, toTfjs, type TfjsModelJson } from './tfjs-format.js';
import { maxScaledDiff, randomArray, randomModel } from './testing/random-model.js';

// Round trips through the tfjs-layers format in both directions. References: tfjs's own
// loadLayersModel/predict on our files, and tfjs-made (randomly initialised) models loaded by us.

const T = 20,
  B = 3;
let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'tidecast-tfjs-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function ours(model: StackedModel, x: Float32Array): Float32Array {
  const runner = new SequenceRunner(model, T, B);
  runner.resetInitialState(B);
  return runner.forward(T, B, x, 0, false).slice(0, T * B * model.outputWidth);
}

function theirs(m: tf.LayersModel, x: Float32Array, inSize: number): Float32Array {
  return tf.tidy(() => {
    const input = tf.tensor3d(x, [T, B, inSize]).transpose([1, 0, 2]);
    return (m.predict(input) as tf.Tensor).transpose([1, 0, 2]).dataSync() as Float32Array;
  });
}

const toTfjsCases: ModelConfig[] = [
  { kind: 'rnn', inputSize: 3, units: 5, layers: 2, horizon: 2, outputSize: 1, seed: 1, dropout: 0.2 },
  { kind: 'lstm', inputSize: 3, units: [6, 4], layers: 2, horizon: 1, outputSize: 2, seed: 2 },
  {
    kind: 'gru',
    inputSize: 2,
    units: 4,
    layers: 3,
    horizon: 3,
    outputSize: 1,
    seed: 3,
    resetAfter: false,
    recurrentActivation: 'hard_sigmoid',
  },
];

describe('ours → tfjs', () => {
  it.each(toTfjsCases)('tf.loadLayersModel reads a saved $kind model and predicts the same', async (config) => {
    const model = randomModel(config);
    const path = join(dir, `ours-${config.kind}`);
    await saveTfjsModel(path, model);
    const loaded = await tf.loadLayersModel(fileIOHandler(path));
    const x = randomArray(T * B * config.inputSize, 5);
    expect(maxScaledDiff(ours(model, x), theirs(loaded, x, config.inputSize))).toBeLessThan(1e-5);
    // ...and back into ours, bit for bit.
    const again = await loadTfjsModel(path);
    expect(again.config.units).toEqual(typeof config.units === 'number' ? new Array(config.layers).fill(config.units) : config.units);
    again.params().forEach((p, i) => {
      expect(Array.from(p.data)).toEqual(Array.from(model.params()[i].data));
    });
    expect(again.dropout).toBeCloseTo(config.dropout ?? 0, 6);
  });
});

describe('tfjs → ours', () => {
  it.each([
    {
      name: 'LSTM ×2',
      layer: (i: number) =>
        tf.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: 'sigmoid', ...(i === 0 ? { inputShape: [null, 3] } : {}) }),
    },
    {
      name: 'GRU (tfjs defaults: hard_sigmoid)',
      layer: (i: number) => tf.layers.gru({ units: 4, returnSequences: true, ...(i === 0 ? { inputShape: [null, 3] } : {}) }),
    },
    {
      name: 'SimpleRNN relu',
      layer: (i: number) =>
        tf.layers.simpleRNN({ units: 4, activation: 'relu', returnSequences: true, ...(i === 0 ? { inputShape: [null, 3] } : {}) }),
    },
  ])('a tfjs-made $name model loads and predicts the same', async ({ layer }) => {
    const m = tf.sequential();
    m.add(layer(0));
    m.add(layer(1));
    m.add(tf.layers.dense({ units: 4, biasInitializer: 'randomNormal' })); // horizon 2 × (mean, log-variance)
    const path = join(dir, `tfjs-${m.layers[0].getClassName()}`);
    await m.save(fileIOHandler(path));
    const model = await loadTfjsModel(path);
    expect(model.config.horizon).toBe(2);
    expect(model.config.outputSize).toBe(1);
    const x = randomArray(T * B * 3, 6);
    expect(maxScaledDiff(ours(model, x), theirs(m, x, 3))).toBeLessThan(1e-5);
  });

  it('a Keras-Python style model.json (model_config, InputLayer, cell-scoped names, reset-after GRU) loads', () => {
    const model = randomModel({ kind: 'gru', inputSize: 3, units: 4, layers: 2, horizon: 1, outputSize: 1, seed: 8, resetAfter: true });
    const { modelJson, weightData } = toTfjs(model);
    const topo = modelJson.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    const layers = topo.config.layers.map((l) => {
      const { batch_input_shape: _drop, ...rest } = l.config;
      return { class_name: l.class_name, config: { ...rest, name: String(rest.name).replace(/_1$/, '').replace('gru_2', 'gru_1') } };
    });
    const keras: TfjsModelJson = {
      format: 'layers-model',
      generatedBy: 'keras v2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: {
        keras_version: '2.15.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Sequential',
          config: {
            name: 'sequential',
            layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, null, 3], name: 'input_1' } }, ...layers],
          },
        },
      },
      weightsManifest: [
        {
          paths: ['group1-shard1of1.bin'],
          weights: modelJson.weightsManifest[0].weights.map((w) => ({
            ...w,
            name: w.name.replace('gru_1/', 'gru/gru_cell/').replace('gru_2/', 'gru_1/gru_cell_1/'),
          })),
        },
      ],
    };
    const loaded = fromTfjs(JSON.stringify(keras), weightData);
    expect(loaded.config.resetAfter).toBe(true);
    const x = randomArray(T * B * 3, 7);
    expect(maxScaledDiff(ours(loaded, x), ours(model, x))).toBe(0);
  });
});

describe('Tidecast-only variants and bad files', () => {
  it('a peephole LSTM saves as TidecastPeepholeLSTM and round-trips exactly', async () => {
    const model = randomModel({ kind: 'lstm-peephole', inputSize: 2, units: 3, layers: 2, horizon: 1, outputSize: 1, seed: 4 });
    const path = join(dir, 'peephole');
    await saveTfjsModel(path, model);
    const json = JSON.parse(await readFile(join(path, 'model.json'), 'utf8')) as TfjsModelJson;
    const topo = json.modelTopology as { config: { layers: { class_name: string }[] } };
    expect(topo.config.layers.map((l) => l.class_name)).toEqual(['TidecastPeepholeLSTM', 'TidecastPeepholeLSTM', 'Dense']);
    expect(json.weightsManifest[0].weights.map((w) => w.name)).toContain('tidecastpeepholelstm_1/forget_gate_peephole_weights');
    const loaded = await loadTfjsModel(join(path, 'model.json'));
    const x = randomArray(T * B * 2, 9);
    expect(maxScaledDiff(ours(loaded, x), ours(model, x))).toBe(0);
  });

  it('rejects heads without mean and log-variance, short weight files and unknown layers, with a clear error', () => {
    const model = randomModel({ kind: 'lstm', inputSize: 2, units: 3, layers: 1, horizon: 1, outputSize: 1, seed: 4 });
    const { modelJson, weightData } = toTfjs(model);
    expect(() => fromTfjs(modelJson, weightData.slice(0, 40))).toThrow(/weights data has 40 bytes/);
    expect(() => fromTfjs(modelJson, weightData, { outputSize: 3 })).toThrow(/Dense head has 2 units/);
    const odd = JSON.parse(JSON.stringify(modelJson)) as { modelTopology: { config: { layers: { class_name: string }[] } } };
    odd.modelTopology.config.layers[0].class_name = 'ConvLSTM2D';
    expect(() => fromTfjs(odd, weightData)).toThrow(/ConvLSTM2D is not supported/);
  });
});
