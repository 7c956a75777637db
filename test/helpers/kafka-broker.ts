import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

// Starts and stops real single-node Kafka brokers through scripts/kafka.sh (one source of truth for how).

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../scripts/kafka.sh');

export interface KafkaBroker {
  readonly brokers: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the broker; with keepData the next start() of the same port resumes its log. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Starts it again (same port, same data) after stop({ keepData: true }). */
  start(): Promise<void>;
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

async function script(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('bash', [SCRIPT, ...args], { timeout: 280_000, maxBuffer: 16 << 20 });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/kafka.sh ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}

export async function startKafkaBroker(options: { port?: number; controllerPort?: number } = {}): Promise<KafkaBroker> {
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), `tidecast-kafka-${port}-`));
  const args = ['--port', String(port), '--controller-port', String(controllerPort), '--data-dir', dataDir];
  const start = async () => {
    await script(['start', ...args]);
  };
  await start();
  return {
    brokers: `127.0.0.1:${port}`,
    port,
    dataDir,
    start,
    stop: async (o = {}) => {
      await script(['stop', '--port', String(port), ...(o.keepData ? ['--keep-data'] : [])]);
    },
  };
}
