import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

// A Python with the given modules for tests that cross-check against a reference script: the system
// python3 when it has them, else a virtual environment in the repository's ignored var/py, created
// and filled from PyPI on first use (as the integration setup installs InfluxDB when missing).
// null only when there is no python3 at all.

const run = promisify(execFile);

async function has(python: string, modules: readonly string[]): Promise<boolean> {
  try {
    await run(python, ['-c', `import ${modules.join(', ')}`], { timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

export async function pythonWith(repo: string, modules: readonly string[], packages: readonly string[] = modules): Promise<string | null> {
  try {
    await run('python3', ['--version'], { timeout: 30_000 });
  } catch {
    return null;
  }
  if (await has('python3', modules)) return 'python3';
  const venv = join(repo, 'var', 'py');
  const python = join(venv, 'bin', 'python');
  if (existsSync(python) && (await has(python, modules))) return python;
  if (!existsSync(python)) await run('python3', ['-m', 'venv', venv], { timeout: 120_000 });
  await run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...packages], {
    timeout: 600_000,
    maxBuffer: 16 << 20,
  });
  if (!(await has(python, modules)))
    throw new Error(`installed ${packages.join(', ')} into ${venv} but cannot import ${modules.join(', ')}`);
  return python;
}
