import { requireNativeAddon } from './native-addon.js';

// Loader for the optional N-API build of the fused step (native/step-addon.c, built by
// scripts/build-native.mjs). It reads the stepper's plan from its WASM memory and works on the
// caller's typed arrays in place. Returns null when the addon is not built here, does not load
// (other platform or ABI), or TIDECAST_NATIVE=0 turns it off: the WASM engine then serves.

/** step(memory, planOffset, count, slots, x, state, out); RangeError/TypeError on bad arguments. */
export type NativeStepFn = (
  memory: ArrayBuffer,
  plan: number,
  count: number,
  slots: Int32Array,
  x: Float32Array,
  state: Float32Array,
  out: Float32Array,
) => void;

export interface NativeStepAddon {
  /** The best engine on this CPU (see isa). */
  readonly step: NativeStepFn;
  /** The SSE4.1 engine (8-column panels), kept callable so tests cover the fallback on AVX-512 machines. */
  readonly stepSse: NativeStepFn;
  /** 'avx512': `step` wants 16-column weight panels; 'sse4.1': 8-column, as the WASM module. */
  readonly isa: 'avx512' | 'sse4.1';
  /**
   * GFLOP/s of a register-only AVX-512 loop (24 accumulators): the core's float32 limit for the
   * step's mul-then-add (fused false) or with FMA (true). 0 without AVX-512. For the benchmark.
   */
  readonly peakGflops: (iterations: number, fused: boolean) => number;
}

let loaded: NativeStepAddon | null | undefined;

export function nativeStep(): NativeStepAddon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env.TIDECAST_NATIVE === '0') return loaded;
  const addon = requireNativeAddon('step-addon') as Partial<NativeStepAddon> | null;
  if (
    addon !== null &&
    typeof addon.step === 'function' &&
    typeof addon.stepSse === 'function' &&
    typeof addon.peakGflops === 'function' &&
    (addon.isa === 'avx512' || addon.isa === 'sse4.1')
  ) {
    loaded = addon as NativeStepAddon;
  }
  return loaded;
}
