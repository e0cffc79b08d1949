import type { ErrorCode, WireError } from '@edgefleet/protocol';

/**
 * An error that knows its wire code, so every layer reports it the same way. `details` is
 * machine-readable context that travels with it (e.g. the untrusted server certificate of
 * CERTIFICATE_UNTRUSTED).
 */
export class AgentError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AgentError';
  }

  toWire(): WireError {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** The message of an error and of its causes: fetch's "fetch failed" alone does not say why. */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  return cause instanceof Error && !err.message.includes(cause.message) ? `${err.message} (${errorMessage(cause)})` : err.message;
}
