// Installs the native peers of bench:step (onnxruntime-node) into var/peers, outside the product's
// dependency tree: the product never loads them, and onnxruntime-node's postinstall would otherwise
// need a project npm config key (which every npx then warns about) to skip its CUDA download.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPrivate } from '../../scripts/install-private.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PEERS = join(ROOT, 'var', 'peers');
const PACKAGES = ['onnxruntime-node@1.30.0'];

if (existsSync(join(PEERS, 'node_modules', 'onnxruntime-node', 'package.json'))) process.exit(0);
// CPU binaries ship in the package; the CUDA execution provider (a download) is not wanted.
if (installPrivate(PEERS, PACKAGES, { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' })) {
  console.error(`install-peers: ${PACKAGES.join(', ')} in ${PEERS}`);
} else {
  console.error('install-peers: onnxruntime-node could not be installed; bench:step prints its rows as n/a');
}
