// Installs npm packages into a private prefix (its own package.json and node_modules), outside the
// product's dependency tree: tools the product never loads (a Node 24 binary for the test run, the
// native peers of bench:step). Returns whether the install succeeded.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export function installPrivate(prefix, packages, env = process.env) {
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, 'package.json'), `{"name":"tidecast-private-${basename(prefix)}","private":true}\n`);
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', prefix, ...packages], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
    });
    return true;
  } catch {
    return false;
  }
}
