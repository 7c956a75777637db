import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

// Loader for the optional native build of the fused step (scripts/build-kernels.sh --native). It
// runs the same C source as the WASM module on the WASM instance's memory, so a stepper can swap
// its `step` call without changing any layout. Returns null when the addon is not built here.

export type NativeStepFn = (buffer: ArrayBuffer, plan: number, count: number, slots: number, x: number,
  state: number, out: number) => void;

const ADDON = new URL('../../../native/build/tidecast-native.node', import.meta.url);
let loaded: NativeStepFn | null | undefined;

export function nativeStep(): NativeStepFn | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (existsSync(ADDON)) {
    try {
      const addon = createRequire(import.meta.url)(ADDON.pathname) as { step?: NativeStepFn };
      if (typeof addon.step === 'function') loaded = addon.step;
    } catch {
      loaded = null; // wrong platform or ABI: the WASM path stays in use
    }
  }
  return loaded;
}
