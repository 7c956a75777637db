import type { Kernels } from './kernels.js';
import { nativeKernels } from './native-kernels.js';
import { portableKernels } from './portable.js';
import { createWasmKernels } from './wasm-kernels.js';

// The fastest Kernels this process can run, all giving the same bits: the native AVX-512 addon
// when built and supported, else WASM SIMD128, else portable TypeScript. TIDECAST_KERNELS
// (native | wasm | portable) forces one where available.

export type KernelsChoice = 'native' | 'wasm' | 'portable';

// One instance per choice: a WASM instance reserves its own heap, which is never given back.
const chosen = new Map<KernelsChoice | undefined, Kernels>();

export function fastestKernels(prefer: KernelsChoice | undefined = envChoice()): Kernels {
  let kernels = chosen.get(prefer);
  if (kernels === undefined) {
    kernels = pick(prefer);
    chosen.set(prefer, kernels);
  }
  return kernels;
}

function pick(prefer: KernelsChoice | undefined): Kernels {
  if (prefer === 'portable') return portableKernels;
  if (prefer !== 'wasm') {
    const native = nativeKernels();
    if (native !== null) return native;
  }
  try {
    return createWasmKernels();
  } catch {
    return portableKernels; // no WebAssembly SIMD here
  }
}

function envChoice(): KernelsChoice | undefined {
  const v = process.env.TIDECAST_KERNELS;
  return v === 'native' || v === 'wasm' || v === 'portable' ? v : undefined;
}
