// `npm run lint`: Biome (format + lint rules of biome.jsonc) over the TypeScript/JavaScript/JSON, and
// clang-format (.clang-format) over the C kernels. `npm run lint -- --fix` applies the safe fixes.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const fix = process.argv.includes('--fix');
const require = createRequire(import.meta.url);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  return r.status === 0;
}

const cFiles = ['native', 'wasm'].flatMap((d) =>
  readdirSync(join(ROOT, d))
    .filter((f) => /\.[ch]$/.test(f))
    .map((f) => join(d, f)),
);
const biome = run(process.execPath, [
  require.resolve('@biomejs/biome/bin/biome'),
  'check',
  '--error-on-warnings',
  ...(fix ? ['--write'] : []),
  '.',
]);
const clang = run(process.execPath, [require.resolve('clang-format/index.js'), ...(fix ? ['-i'] : ['--dry-run', '--Werror']), ...cFiles]);
if (!biome || !clang) {
  console.error(
    `lint: ${[!biome && 'Biome', !clang && 'clang-format'].filter(Boolean).join(' and ')} found problems; \`npm run lint -- --fix\` applies the safe fixes`,
  );
  process.exit(1);
}
