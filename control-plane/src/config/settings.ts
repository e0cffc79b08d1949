import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DestinationStream } from 'pino';
import { z } from 'zod';
import type { ControlPlaneOptions } from './control-plane-options.js';

/** The built console (console/dist, made by `npm run build`), relative to this file in src/ or dist/. */
export const DEFAULT_CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../console/dist');

/** How often at most an agent's heartbeat is kept as a health sample (`EDGEFLEET_HEALTH_SAMPLE_MS`). */
export const DEFAULT_HEALTH_SAMPLE_MS = 30_000;
/** A second up to the hour the samples are kept for. */
export const HEALTH_SAMPLE_MS_RANGE = { min: 1000, max: 3_600_000 } as const;

/** Per client address per minute; see docs/configuration.md. */
export const DEFAULT_RATE_LIMITS = { loginPerMinute: 10, enrollmentsPerMinute: 600 } as const;
const RateLimitsSchema = z.object({
  loginPerMinute: z.number().int().min(1).max(100_000).default(DEFAULT_RATE_LIMITS.loginPerMinute),
  enrollmentsPerMinute: z.number().int().min(1).max(1_000_000).default(DEFAULT_RATE_LIMITS.enrollmentsPerMinute),
});

const OptionsSchema = z.object({
  port: z.number().int().min(0).max(65_535),
  host: z.string().min(1).default('0.0.0.0'),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  masterKey: z.instanceof(Buffer).refine((b) => b.length === 32, 'must be 32 bytes'),
  adminUsername: z.string().min(1).max(128).default('admin'),
  adminPassword: z.string().min(8, 'must be at least 8 characters'),
  broker: z.object({
    url: z.string().regex(/^(mqtts?|tls|ssl|tcp|mqtt|wss?):\/\//, 'must be an mqtt(s):// URL'),
    caPem: z.array(z.string().includes('BEGIN CERTIFICATE')).optional(),
    certPem: z.string().includes('BEGIN CERTIFICATE').optional(),
    keyPem: z.string().includes('PRIVATE KEY').optional(),
    sharedSubscriptions: z.boolean(),
  }).refine((b) => (b.certPem === undefined) === (b.keyPem === undefined), { message: 'certPem and keyPem go together', path: ['certPem'] }),
  publicBrokerUrl: z.string().min(1),
  publicUrl: z.url().optional(),
  consoleDir: z.string().min(1).default(DEFAULT_CONSOLE_DIR),
  healthSampleMs: z.number().int().min(HEALTH_SAMPLE_MS_RANGE.min).max(HEALTH_SAMPLE_MS_RANGE.max).default(DEFAULT_HEALTH_SAMPLE_MS),
  rateLimits: RateLimitsSchema.default(DEFAULT_RATE_LIMITS),
  logger: z.union([z.literal(false), z.enum(['error', 'info', 'debug'])]).default('info'),
  logDestination: z.custom<DestinationStream>((v) => typeof (v as { write?: unknown } | null)?.write === 'function', 'must be a stream with write()').optional(),
});

/** The validated, defaulted options every part of the plane reads. */
export type Settings = z.output<typeof OptionsSchema> & { publicUrl?: string };

export const SETTINGS = Symbol('SETTINGS');

/** Validates the factory's options once; the message names each bad option. */
export function validateOptions(opts: ControlPlaneOptions): Settings {
  const result = OptionsSchema.safeParse(opts);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new Error(`invalid control-plane options: ${lines.join('; ')}`);
  }
  return result.data;
}
