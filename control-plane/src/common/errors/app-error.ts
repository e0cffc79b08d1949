import { errorMessages, type ErrorCode, type ValidationIssue } from '@edgefleet/protocol';

/**
 * The one error type services throw. It carries a protocol `ErrorCode`; the HTTP status is
 * chosen in exactly one place (`http-status.ts`), so services never think in HTTP.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = errorMessages[code],
    readonly issues?: ValidationIssue[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}
