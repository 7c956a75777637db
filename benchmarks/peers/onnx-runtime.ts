import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// onnxruntime-node as bench:step loads it: from var/peers (benchmarks/peers/install-peers.mjs), not
// from the product's dependencies. Typed by the few calls the peers make.

export interface OrtTensor {
  readonly data: unknown;
}
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OnnxRuntime {
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
}

/** The installed onnxruntime-node, or null when bench:step's peer install could not provide it. */
export function loadOnnxRuntime(): OnnxRuntime | null {
  try {
    const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'var', 'peers', 'package.json'));
    return require('onnxruntime-node') as OnnxRuntime;
  } catch {
    return null;
  }
}
