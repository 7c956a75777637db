import { readFileSync } from 'node:fs';
import type { Kernels } from './kernels.js';
import { requireNativeAddon } from './native-addon.js';

// Loader for the optional AVX-512 build of the Kernels interface (native/kernels-addon.c, built by
// scripts/build-native.mjs). It computes in place on any Float32Array, so alloc() is a plain
// array. Same bits as portableKernels. Returns null when the addon is not built here or the CPU
// lacks AVX-512 (the addon also checks at load and then exports no kernels).

type KernelOps = Omit<Kernels, 'name' | 'alloc'>;
const OPS: readonly (keyof KernelOps)[] = [
  'gemm',
  'gemmTransA',
  'gemmTransB',
  'addColumnSums',
  'lstmForward',
  'lstmBackward',
  'gruForward',
  'gruBackward',
  'elmanForward',
  'elmanBackward',
  'adam',
];

let loaded: Kernels | null | undefined;

export function nativeKernels(): Kernels | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (!cpuHasAvx512()) return null;
  const addon = requireNativeAddon('kernels-addon') as (Partial<KernelOps> & { avx512?: boolean }) | null;
  if (addon === null || addon.avx512 !== true || !OPS.every((op) => typeof addon[op] === 'function')) return null;
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
