import type { ErrorCode } from './types.js';

export class TidecastError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TidecastError';
  }
}
