#!/usr/bin/env bash
# Rebuilds src/models/kernels/tidecast-kernels.wasm from wasm/*.c. Needs Debian clang + lld
# (apt-get install -y clang lld). The .wasm is committed: CI and users do not need clang.
# The native addons (same step C plus AVX-512) are built by scripts/build-native.mjs (npm run build:native).
set -euo pipefail
cd "$(dirname "$0")/.."
clang --target=wasm32 -msimd128 -O3 -nostdlib -ffp-contract=off -fno-builtin \
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--import-memory -Wl,--export=__heap_base \
  -Wl,-z,stack-size=16384 -Wl,--strip-all \
  -o src/models/kernels/tidecast-kernels.wasm wasm/kernels.c
ls -l src/models/kernels/tidecast-kernels.wasm
if [[ "${1:-}" == "--native" ]]; then node scripts/build-native.mjs --force; fi
