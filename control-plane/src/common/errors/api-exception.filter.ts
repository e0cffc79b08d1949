import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { errorMessages, type ApiError, type ErrorCode } from '@edgefleet/protocol';
import { AppError } from './app-error.js';
import { httpStatusOf } from './http-status.js';

/** Framework exceptions (routing, body parsing) carry only a status; give them the nearest code. */
function codeOfStatus(status: number): ErrorCode {
  if (status === 400 || status === 413 || status === 415) return 'VALIDATION_FAILED';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404 || status === 405) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMITED';
  return 'INTERNAL';
}

/** Renders every error as an `ApiError`. Unknown errors are 500 INTERNAL, their details only in the log. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = this.toApiError(exception);
    if (res.headersSent) return;
    res.status(body.statusCode).json(body);
  }

  toApiError(exception: unknown): ApiError {
    if (exception instanceof AppError) {
      return { statusCode: httpStatusOf(exception.code), code: exception.code, message: exception.message, ...(exception.issues ? { issues: exception.issues } : {}) };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = codeOfStatus(status);
      if (code === 'INTERNAL') {
        this.log.error({ err: exception }, 'unhandled HTTP exception');
        return { statusCode: 500, code, message: errorMessages.INTERNAL };
      }
      // Body-parser errors (malformed JSON) arrive here as 400s; their message is safe and useful.
      return { statusCode: status, code, message: exception.message || errorMessages[code] };
    }
    const status = (exception as { status?: unknown; type?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Errors raised by Express middleware (body-parser) before Nest's pipeline.
      const code = codeOfStatus(status);
      return { statusCode: status, code, message: (exception as Error).message || errorMessages[code] };
    }
    this.log.error({ err: exception }, 'unhandled error');
    return { statusCode: 500, code: 'INTERNAL', message: errorMessages.INTERNAL };
  }
}
