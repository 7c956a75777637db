#!/usr/bin/env node
// Builds every native/*-addon.c into native/build/<name>.node (npm run build:native; npm test and
// bench:step run it first, npm start with --optional). The addons are optional: where gcc, the
// Node headers or an x86-64 CPU are missing it prints one warning and exits 0, and the WASM
// kernels serve. An addon is rebuilt only when a source under native/ or wasm/ is newer.
//   --optional  also exit 0 (with a warning) when a compile fails
//   --quiet     print nothing when everything is up to date or skipped
//   --force     rebuild even when up to date
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const optional = args.has('--optional');
const quiet = args.has('--quiet');
const force = args.has('--force');
const nativeDir = join(root, 'native');
const outDir = join(nativeDir, 'build');

function skip(why) {
  if (!quiet) console.warn(`build:native: skipped (${why}); the WASM kernels serve instead.`);
  process.exit(0);
}

/** The directory holding node_api.h: beside this node binary first, then the usual system places. */
function nodeHeaders() {
  const candidates = [
    process.env.TIDECAST_NODE_HEADERS,
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'node_api.h'))) ?? null;
}

const addons = existsSync(nativeDir)
  ? readdirSync(nativeDir)
      .filter((f) => f.endsWith('-addon.c'))
      .sort()
  : [];
if (addons.length === 0) process.exit(0);
if (process.arch !== 'x64') skip(`the addons need x86-64, this is ${process.arch}`);
const cc = process.env.CC ?? 'gcc';
if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0) skip(`${cc} not found`);
const headers = nodeHeaders();
if (headers === null) skip('Node headers (node_api.h) not found; set TIDECAST_NODE_HEADERS');

// Any source an addon may include: everything in native/ and wasm/ (small trees).
const sources = ['native', 'wasm'].flatMap((d) => {
  const dir = join(root, d);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.(c|h)$/.test(f))
        .map((f) => join(dir, f))
    : [];
});
const newestSource = Math.max(...sources.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);

function compile(file) {
  const name = file.replace(/\.c$/, '');
  const target = join(outDir, `${name}.node`);
  if (!force && existsSync(target) && statSync(target).mtimeMs >= newestSource) return Promise.resolve({ name, status: 'up to date' });
  const tmp = `${target}.${process.pid}.tmp`;
  // -ffp-contract=off: mul and add stay separate (no FMA), so results equal the portable TS and
  // WASM paths bit for bit. -march=native: the addon is built on the machine that runs it.
  const flags = [
    '-O3',
    '-march=native',
    '-ffp-contract=off',
    '-fno-strict-aliasing',
    '-shared',
    '-fPIC',
    '-Wall',
    '-Wno-unused-function',
    `-I${headers}`,
    '-o',
    tmp,
    join(nativeDir, file),
  ];
  return new Promise((done) => {
    const child = spawn(cc, flags, { stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (err) => done({ name, status: 'failed', detail: String(err) }));
    child.on('close', (code) => {
      if (code === 0) {
        renameSync(tmp, target);
        done({ name, status: 'built', detail: stderr });
      } else {
        rmSync(tmp, { force: true });
        done({ name, status: 'failed', detail: stderr });
      }
    });
  });
}

mkdirSync(outDir, { recursive: true });
const started = performance.now();
const results = await Promise.all(addons.map(compile));
let failed = 0;
for (const r of results) {
  if (r.status === 'failed') {
    failed++;
    console.error(`build:native: ${r.name} failed to compile${optional ? ' (the WASM kernels serve instead)' : ''}:\n${r.detail}`);
  } else if (r.status === 'built') {
    if (r.detail) process.stderr.write(r.detail);
    if (!quiet) console.error(`build:native: native/build/${r.name}.node (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}
process.exit(failed > 0 && !optional ? 1 : 0);
