import { pino, type Logger } from 'pino';

export type { Logger };
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * One pino logger per agent (never a module-level singleton), so many agents can share a process
 * and each carries its own id in every line. Secrets are redacted by path as a second line of
 * defence: the code never logs key material on purpose.
 */
export function createLogger(level: LogLevel = 'info', bindings: Record<string, string> = {}): Logger {
  return pino({
    level,
    base: { ...bindings },
    redact: {
      paths: ['key', 'keyPem', 'privateKey', 'token', 'password', 'sharedAccessKey', 'connectionString', '*.key', '*.keyPem', '*.privateKey', '*.token', '*.password', '*.sharedAccessKey', '*.connectionString'],
      censor: '[redacted]',
    },
  });
}
