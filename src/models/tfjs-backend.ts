import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';

// Picks the fastest tfjs backend available here, for parity tests and benchmarks: tfjs-node if
// the user installed it (it is not a dependency), else wasm (one thread), else the plain cpu backend.

export type TfjsBackendName = 'tensorflow' | 'wasm' | 'cpu';

export async function selectTfjsBackend(order: readonly TfjsBackendName[] = ['tensorflow', 'wasm', 'cpu']): Promise<TfjsBackendName> {
  for (const name of order) {
    if (await tryBackend(name)) return name;
  }
  throw new Error(`none of the tfjs backends ${order.join(', ')} could start`);
}

async function tryBackend(name: TfjsBackendName): Promise<boolean> {
  try {
    if (name === 'tensorflow') {
      const nodeBinding = '@tensorflow/tfjs-node'; // a variable: optional, so not resolved at build time
      await import(nodeBinding);
    } else if (name === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      wasm.setWasmPaths(`${pathToFileURL(dir).href}/`);
      wasm.setThreadsCount(1);
    }
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}
