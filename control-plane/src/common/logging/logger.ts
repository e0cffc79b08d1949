import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as PinoLogger } from 'pino';

export type LogLevelOption = false | 'error' | 'info' | 'debug';

/** The root logger; `false` silences everything (tests, benchmarks). */
export function createRootLogger(level: LogLevelOption | undefined): PinoLogger {
  return pino({
    name: 'control-plane',
    level: level === false ? 'silent' : (level ?? 'info'),
    // Never log credentials, even if a caller passes a request or a body by mistake.
    redact: { paths: ['password', 'token', '*.password', '*.token', 'keyPem', '*.keyPem', 'req.headers.authorization'], censor: '[redacted]' },
  });
}

/** Injection token of the root pino logger; services take `child({ component })` of it. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** Routes NestJS's own framework messages into pino. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly pino: PinoLogger) {}
  log(message: unknown, context?: string): void {
    this.pino.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.pino.trace({ context }, String(message));
  }
}
