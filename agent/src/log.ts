import { pino, type DestinationStream, type Logger } from 'pino';
import { CONFIG_SECRET_FIELD_NAMES } from '@edgefleet/protocol';

export type { Logger };
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Field names redacted from every log line: the config's secret fields (found from the schema's
 * `secret` marks: `password`, `privateKey`, `sharedAccessKey`…) and the agent's own key material
 * and enrollment token.
 */
const REDACTED_FIELDS = [...CONFIG_SECRET_FIELD_NAMES, 'keyPem', 'token'];

/**
 * One pino logger per agent (never a module-level singleton), so many agents can share a process
 * and each carries its own id in every line. Secrets are redacted by path as a second line of
 * defence: the code never logs key material on purpose. Lines go to stdout unless `destination` is given.
 */
export function createLogger(level: LogLevel = 'info', bindings: Record<string, string> = {}, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { ...bindings },
    redact: { paths: REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
