#!/usr/bin/env bash
# Rebuilds src/models/kernels/tidecast-kernels.wasm from wasm/*.c. Needs Debian clang + lld
# (apt-get install -y clang lld). The .wasm is committed: CI and users do not need clang.
#   --native   also builds the optional N-API addon native/build/tidecast-native.node (gcc, node
#              headers in /usr/include/node; x86-64 with SSE4.1). Not committed, not built on install.
set -euo pipefail
cd "$(dirname "$0")/.."
clang --target=wasm32 -msimd128 -O3 -nostdlib -ffp-contract=off -fno-builtin \
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--import-memory -Wl,--export=__heap_base \
  -Wl,-z,stack-size=16384 -Wl,--strip-all \
  -o src/models/kernels/tidecast-kernels.wasm wasm/kernels.c
ls -l src/models/kernels/tidecast-kernels.wasm
if [[ "${1:-}" == "--native" ]]; then
  mkdir -p native/build
  # -ffp-contract=off keeps mul-then-add (no FMA), so native results equal the WASM ones bit for bit.
  gcc -O3 -msse4.1 -mtune=native -ffp-contract=off -fno-strict-aliasing -shared -fPIC \
    -I/usr/include/node -o native/build/tidecast-native.node native/addon.c
  ls -l native/build/tidecast-native.node
fi
