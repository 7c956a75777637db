import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { io } from '@tensorflow/tfjs';
import { TidecastError } from '../core/errors.js';
import type { StackedModel } from './stacked-model.js';
import { fromTfjs, toTfjs, type LoadOptions, type TfjsModelJson } from './tfjs-format.js';

// tfjs-layers models on disk: a directory with model.json and its weight files. Also a tf.io
// IOHandler over the same layout, so tfjs (without tfjs-node, which owns file://) can save and
// load there too.

/** Writes model.json and weights.bin into dir (each via a temp file and rename). */
export async function saveTfjsModel(dir: string, model: StackedModel): Promise<void> {
  const { modelJson, weightData } = toTfjs(model, 'weights.bin');
  await mkdir(dir, { recursive: true });
  await atomicWrite(join(dir, 'weights.bin'), new Uint8Array(weightData));
  await atomicWrite(join(dir, 'model.json'), JSON.stringify(modelJson));
}

/** Loads from a directory holding model.json, or from the path of a model.json. */
export async function loadTfjsModel(path: string, options: LoadOptions = {}): Promise<StackedModel> {
  const { json, weightData } = await readModelDir(path);
  return fromTfjs(json, weightData, options);
}

/** A tf.io.IOHandler reading and writing model.json + weights.bin in dir. */
export function fileIOHandler(dir: string): io.IOHandler {
  return {
    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      const data = concatWeightData(artifacts.weightData);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? 'TensorFlow.js',
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata !== undefined ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await mkdir(dir, { recursive: true });
      await atomicWrite(join(dir, 'weights.bin'), new Uint8Array(data));
      await atomicWrite(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
    },
    async load(): Promise<io.ModelArtifacts> {
      const { json, weightData } = await readModelDir(dir);
      return {
        modelTopology: json.modelTopology as object,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        userDefinedMetadata: json.userDefinedMetadata as Record<string, object> | undefined,
      };
    },
  };
}

async function readModelDir(path: string): Promise<{ json: TfjsModelJson; weightData: ArrayBuffer }> {
  const jsonPath = path.endsWith('.json') ? path : join(path, 'model.json');
  let json: TfjsModelJson;
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8')) as TfjsModelJson;
  } catch (cause) {
    throw new TidecastError(`Cannot read tfjs model ${jsonPath}: ${(cause as Error).message}`, 'schema_mismatch', false, { cause });
  }
  if (!Array.isArray(json.weightsManifest)) throw new TidecastError(`${jsonPath} has no weightsManifest.`, 'schema_mismatch', false);
  const parts = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dirname(jsonPath), p))));
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const bytes = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.byteLength;
  }
  return { json, weightData: bytes.buffer };
}

function concatWeightData(data: io.ModelArtifacts['weightData']): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  if (!Array.isArray(data)) return data;
  const total = data.reduce((a, b) => a + b.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), off);
    off += b.byteLength;
  }
  return out.buffer;
}

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
