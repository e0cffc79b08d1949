import { ErrorCode, type ValidationIssue, type WireError } from '@edgefleet/protocol';
import { AgentError, errorMessage } from '../util/errors.js';

/** An agent error that also carries what a reply can hold beyond code and message. */
export class CommandError extends AgentError {
  constructor(
    code: ErrorCode,
    message: string,
    private readonly extra: { issues?: ValidationIssue[]; details?: Record<string, unknown> } = {},
  ) {
    super(code, message);
    this.name = 'CommandError';
  }

  override toWire(): WireError {
    return { ...super.toWire(), ...this.extra };
  }
}

/** VALIDATION_FAILED naming the argument at fault, as the plane's own validation would. */
export function invalidArgument(path: string, message: string): CommandError {
  return new CommandError(ErrorCode.VALIDATION_FAILED, `${path}: ${message}`, { issues: [{ path, message }] });
}

/**
 * An error as a reply carries it. Agent errors keep their code and any `details` (an OPC UA
 * driver's CERTIFICATE_UNTRUSTED carries the server certificate there); anything else thrown by
 * a driver or its library is reported with `fallback` and its message.
 */
export function wireErrorOf(err: unknown, fallback: ErrorCode = ErrorCode.DEVICE_ERROR): WireError {
  if (err instanceof AgentError) {
    const wire = err.toWire();
    const details: unknown = (err as { details?: unknown }).details;
    return wire.details === undefined && isRecord(details) ? { ...wire, details } : wire;
  }
  return { code: fallback, message: errorMessage(err) };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
