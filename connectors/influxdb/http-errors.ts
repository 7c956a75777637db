import { TidecastError } from '../../src/core/errors.js';

// One place that decides which failures are worth retrying: the server being away or overloaded is;
// a request the server understood and refused (bad line protocol, type conflict) is not.

export function isRejection(status: number): boolean {
  return status === 400 || status === 413 || status === 422;
}

export function statusError(what: string, status: number, body: string): TidecastError {
  const detail = body.length > 500 ? `${body.slice(0, 500)}…` : body;
  const message = `InfluxDB ${what} failed: HTTP ${status}: ${detail.trim()}`;
  // Credentials refused: said plainly. Retried (a sink keeps buffering, nothing lost) so that rotated
  // credentials or a server whose users are still being created recover without a restart.
  if (status === 401 || status === 403) {
    return new TidecastError(`${message} (check the connection's username/password or token)`, 'auth_failed', true);
  }
  // A refused write is the sink's to dead-letter; a refused query means the source is misconfigured.
  return isRejection(status)
    ? new TidecastError(message, what === 'write' ? 'sink_rejected' : 'config_invalid', false)
    : new TidecastError(message, 'broker_down', true);
}

export function transportError(what: string, cause: unknown): TidecastError {
  if (cause instanceof TidecastError) return cause;
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new TidecastError(`InfluxDB ${what} failed: ${msg}`, 'broker_down', true, { cause });
}
