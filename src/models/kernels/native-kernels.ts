import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Kernels } from './kernels.js';

// Loader for the optional AVX-512 build of the Kernels interface (native/kernels-addon.c, built by
// scripts/build-native.mjs). It computes in place on any Float32Array, so alloc() is a plain
// array. Same bits as portableKernels. Returns null when the addon is not built here or the CPU
// lacks AVX-512 (the addon also checks at load and then exports no kernels).

const ADDON = fileURLToPath(new URL('../../../native/build/kernels-addon.node', import.meta.url));

type KernelOps = Omit<Kernels, 'name' | 'alloc'>;
const OPS: readonly (keyof KernelOps)[] = [
  'gemm', 'gemmTransA', 'gemmTransB', 'addColumnSums', 'lstmForward', 'lstmBackward',
  'gruForward', 'gruBackward', 'elmanForward', 'elmanBackward', 'adam',
];

let loaded: Kernels | null | undefined;

export function nativeKernels(): Kernels | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (!existsSync(ADDON) || !cpuHasAvx512()) return null;
  try {
    const addon = createRequire(import.meta.url)(ADDON) as Partial<KernelOps> & { avx512?: boolean };
    if (addon.avx512 !== true || !OPS.every((op) => typeof addon[op] === 'function')) return null;
    const ops = addon as KernelOps;
    loaded = {
      name: 'native-avx512',
      alloc: (length: number) => new Float32Array(length),
      gemm: ops.gemm,
      gemmTransA: ops.gemmTransA,
      gemmTransB: ops.gemmTransB,
      addColumnSums: ops.addColumnSums,
      lstmForward: ops.lstmForward,
      lstmBackward: ops.lstmBackward,
      gruForward: ops.gruForward,
      gruBackward: ops.gruBackward,
      elmanForward: ops.elmanForward,
      elmanBackward: ops.elmanBackward,
      adam: ops.adam,
    };
  } catch {
    loaded = null; // wrong platform or ABI: WASM or portable serve
  }
  return loaded;
}

/** Linux tells through /proc/cpuinfo; elsewhere the addon's own check at load decides. */
function cpuHasAvx512(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    return /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return true;
  }
}
