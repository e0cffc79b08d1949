import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { CONFIG_SECRET_FIELD_NAMES } from '@edgefleet/protocol';

export type LogLevelOption = false | 'error' | 'info' | 'debug';

/** Credentials by field name: the config's secret fields (from the schema), tokens and keys. */
const REDACTED_FIELDS = [...new Set([...CONFIG_SECRET_FIELD_NAMES, 'password', 'token', 'keyPem'])];

/** The root logger; `false` silences everything (tests, benchmarks). Lines go to stdout unless `destination` is given. */
export function createRootLogger(level: LogLevelOption | undefined, destination?: DestinationStream): PinoLogger {
  const options = {
    name: 'control-plane',
    level: level === false ? 'silent' : (level ?? 'info'),
    // Never log credentials, even if a caller passes a request or a body by mistake.
    redact: { paths: [...REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`]), 'req.headers.authorization'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
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
