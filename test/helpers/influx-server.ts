import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// Starts and stops influxd / victoria-metrics through scripts/influxdb.sh, data in a temp dir.

const run = promisify(execFile);
export const INFLUX_SCRIPT = fileURLToPath(new URL('../../scripts/influxdb.sh', import.meta.url));

export type ServerKind = 'influxdb' | 'victoria-metrics';

export interface LocalServer {
  readonly kind: ServerKind;
  readonly url: string;
  readonly dir: string;
  /** Stops the process, keeping its data dir. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops it and deletes the data dir. */
  destroy(): Promise<void>;
}

export async function installInfluxServers(): Promise<void> {
  await run(INFLUX_SCRIPT, ['install'], { timeout: 280_000, maxBuffer: 16 << 20 });
}

/** With `admin`, InfluxDB runs with auth-enabled and that admin user exists (scripts/influxdb.sh). */
export interface StartOptions {
  readonly admin?: { readonly user: string; readonly password: string };
}

async function startIn(kind: ServerKind, dir: string, port?: string, options: StartOptions = {}): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (port) env.INFLUX_PORT = port;
  if (options.admin) env.INFLUX_ADMIN = `${options.admin.user}:${options.admin.password}`;
  const { stdout } = await run(INFLUX_SCRIPT, ['start', kind, dir], { timeout: 60_000, env });
  const m = /url=(\S+)/.exec(stdout);
  if (!m) throw new Error(`${INFLUX_SCRIPT} start ${kind} printed no url: ${stdout}`);
  return m[1];
}

export async function startLocalServer(kind: ServerKind, options: StartOptions = {}): Promise<LocalServer> {
  const dir = await mkdtemp(join(tmpdir(), `tidecast-${kind}-`));
  const url = await startIn(kind, dir, undefined, options);
  const port = new URL(url).port;
  const stop = async (): Promise<void> => {
    await run(INFLUX_SCRIPT, ['stop', dir], { timeout: 30_000 });
  };
  return {
    kind,
    url,
    dir,
    stop,
    restart: async () => {
      await startIn(kind, dir, port, options);
    },
    destroy: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
