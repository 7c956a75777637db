import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// The optional N-API addons under native/build (scripts/build-native.mjs). Each loader checks the
// exports it needs; here only: absent, or not loadable on this platform or ABI, is null.

export function requireNativeAddon(name: string): Record<string, unknown> | null {
  const path = fileURLToPath(new URL(`../../../native/build/${name}.node`, import.meta.url));
  if (!existsSync(path)) return null;
  try {
    return createRequire(import.meta.url)(path) as Record<string, unknown>;
  } catch {
    return null; // wrong platform or ABI: WASM or portable serve
  }
}
