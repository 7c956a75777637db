import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TidecastError } from '../core/errors.js';
import { SerialQueue } from '../core/serial-queue.js';
import type { ModelConfig } from '../models/stacked-model.js';
import { atomicWrite } from '../state/atomic-write.js';

// Every model version a pipeline ever had, on disk: `index.json` (metadata of all versions, the
// live one, the promotion history) and `versions/<version>.bin` (flat little-endian float32
// params in params() order). Weights are written before the index names them, both atomically,
// so a crash leaves either the old index or the new one, never one pointing at nothing.

export interface DataRange {
  readonly from: number;
  readonly to: number;
  readonly streams: number;
  readonly steps: number;
}

export interface ModelVersionMeta {
  readonly version: string;
  readonly parent: string | null;
  readonly createdAt: string;
  readonly dataRange: DataRange | null;
  readonly trainLoss: number | null;
  readonly validationLoss: number | null;
  /** The champion's loss on the same validation steps. */
  readonly championLoss: number | null;
  readonly epochs: number;
  /** Whether it was promoted when trained, and why (or why not). */
  readonly promoted: boolean;
  readonly reason: string;
}

interface RegistryIndex {
  readonly format: 'tidecast-registry-v1';
  readonly pipeline: string;
  readonly config: ModelConfig;
  live: string | null;
  /** Promotions in order; rollback pops the last. */
  promotions: string[];
  versions: ModelVersionMeta[];
}

export class ModelRegistry {
  private readonly saves = new SerialQueue();

  private constructor(
    readonly dir: string,
    private index: RegistryIndex,
  ) {}

  /** Opens (or creates) the registry of one pipeline in `dir`. */
  static async open(dir: string, pipeline: string, config: ModelConfig): Promise<ModelRegistry> {
    const index = await readIndex(dir);
    if (index !== undefined) {
      if (JSON.stringify(index.config) !== JSON.stringify(config)) {
        throw new TidecastError(
          `Model registry ${dir} holds models for another architecture (${JSON.stringify(index.config)}).`,
          'config_invalid',
          false,
        );
      }
      return new ModelRegistry(dir, index);
    }
    await mkdir(join(dir, 'versions'), { recursive: true });
    return new ModelRegistry(dir, { format: 'tidecast-registry-v1', pipeline, config, live: null, promotions: [], versions: [] });
  }

  /** Opens an existing registry without knowing its config (CLI). */
  static async openExisting(dir: string): Promise<ModelRegistry> {
    const index = await readIndex(dir);
    if (index === undefined) throw new TidecastError(`No model registry in ${dir}.`, 'config_invalid', false);
    return new ModelRegistry(dir, index);
  }

  get pipeline(): string {
    return this.index.pipeline;
  }
  get config(): ModelConfig {
    return this.index.config;
  }
  live(): string | null {
    return this.index.live;
  }

  list(): readonly ModelVersionMeta[] {
    return this.index.versions;
  }

  get(version: string): ModelVersionMeta | undefined {
    return this.index.versions.find((v) => v.version === version);
  }

  /** A new version id: sequence number, so they sort by age. */
  nextVersion(kind: string): string {
    return `v${String(this.index.versions.length + 1).padStart(4, '0')}-${kind}`;
  }

  async add(meta: ModelVersionMeta, weights: Float32Array): Promise<void> {
    if (this.get(meta.version) !== undefined)
      throw new TidecastError(`Model version ${meta.version} exists already.`, 'config_invalid', false);
    await atomicWrite(this.weightsPath(meta.version), new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
    this.index.versions.push(meta);
    if (meta.promoted) this.setLive(meta.version);
    await this.save();
  }

  async promote(version: string): Promise<void> {
    if (this.get(version) === undefined)
      throw new TidecastError(`No model version ${version}; see \`tidecast models list\`.`, 'config_invalid', false);
    this.setLive(version);
    await this.save();
  }

  /** Makes the previously promoted version live again; returns it. */
  async rollback(): Promise<string> {
    if (this.index.promotions.length < 2)
      throw new TidecastError('Nothing to roll back to: fewer than two promotions.', 'config_invalid', false);
    this.index.promotions.pop();
    this.index.live = this.index.promotions[this.index.promotions.length - 1];
    await this.save();
    return this.index.live;
  }

  async loadWeights(version: string): Promise<Float32Array> {
    if (this.get(version) === undefined)
      throw new TidecastError(`No model version ${version}; see \`tidecast models list\`.`, 'config_invalid', false);
    const bytes = await readFile(this.weightsPath(version));
    const out = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(out.buffer).set(bytes);
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]))
        throw new TidecastError(`Model version ${version} holds a non-finite weight at ${i}.`, 'state_corrupt', false);
    }
    return out;
  }

  private setLive(version: string): void {
    this.index.live = version;
    if (this.index.promotions[this.index.promotions.length - 1] !== version) this.index.promotions.push(version);
  }

  private weightsPath(version: string): string {
    if (!/^[\w.-]+$/.test(version)) throw new TidecastError(`Bad model version "${version}".`, 'config_invalid', false);
    return join(this.dir, 'versions', `${version}.bin`);
  }

  /** Writes are chained: two saves never race on the temp file, and the last state wins. */
  private save(): Promise<void> {
    return this.saves.run(() => atomicWrite(join(this.dir, 'index.json'), JSON.stringify(this.index, null, 1)));
  }
}

async function readIndex(dir: string): Promise<RegistryIndex | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'index.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const index = JSON.parse(text) as RegistryIndex;
    if (index.format !== 'tidecast-registry-v1') throw new Error(`format ${String(index.format)}`);
    return index;
  } catch (err) {
    throw new TidecastError(`Model registry index in ${dir} is unreadable: ${(err as Error).message}`, 'state_corrupt', false, {
      cause: err,
    });
  }
}
