import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

// Structured JSON logs (pino). One root logger per process; components take a child that binds
// `component` and, where it applies, `pipeline` / `connector`, so every line can be filtered by them.
// Style: fields first, then a capitalised sentence: log.info({ partition }, 'Partition restored.').

export type Logger = PinoLogger;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  /** Default 'info'. */
  readonly level?: LogLevel;
  /** Where lines go; default stdout. Tests pass a stream that collects lines. */
  readonly destination?: DestinationStream;
  /** Fields on every line (e.g. { service: 'tidecast' }). */
  readonly base?: Readonly<Record<string, unknown>>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const opts = {
    level: options.level ?? 'info',
    base: { service: 'tidecast', ...options.base },
    // ISO time reads better in files than epoch ms, and sorts the same.
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

export interface ComponentBindings {
  readonly pipeline?: string;
  readonly connector?: string;
  readonly [field: string]: unknown;
}

/** A child logger for one component, e.g. componentLogger(root, 'api') or (root, 'source', { pipeline, connector }). */
export function componentLogger(parent: Logger, component: string, bindings: ComponentBindings = {}): Logger {
  return parent.child({ component, ...bindings });
}

/** A logger that writes nothing: the default in tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A destination that keeps parsed lines in memory, for tests that assert on logs. */
export function memoryDestination(): DestinationStream & { readonly lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    write(msg: string): void {
      for (const line of msg.split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
}
