import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_HEALTH_SAMPLE_MS, DEFAULT_RATE_LIMITS, HEALTH_SAMPLE_MS_RANGE } from './settings.js';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** The production entry's environment, validated once; each error names its variable. */
const EnvSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  EDGEFLEET_BROKER_URL: z.string().regex(/^mqtts?:\/\//, 'must be an mqtts:// URL'),
  EDGEFLEET_PUBLIC_BROKER_URL: z.string().min(1),
  EDGEFLEET_PUBLIC_URL: z.url().optional(),
  EDGEFLEET_BROKER_CA_FILE: z.string().min(1).optional(),
  EDGEFLEET_BROKER_CERT_FILE: z.string().min(1).optional(),
  EDGEFLEET_BROKER_KEY_FILE: z.string().min(1).optional(),
  EDGEFLEET_SHARED_SUBSCRIPTIONS: bool.default(true),
  EDGEFLEET_ADMIN_USERNAME: z.string().min(1).default('admin'),
  EDGEFLEET_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters'),
  EDGEFLEET_DATA_DIR: z.string().min(1).default('/var/lib/edgefleet'),
  EDGEFLEET_CONSOLE_DIR: z.string().min(1).optional(),
  EDGEFLEET_LOG_LEVEL: z.enum(['error', 'info', 'debug']).default('info'),
  EDGEFLEET_HEALTH_SAMPLE_MS: z.coerce.number().int().min(HEALTH_SAMPLE_MS_RANGE.min).max(HEALTH_SAMPLE_MS_RANGE.max).default(DEFAULT_HEALTH_SAMPLE_MS),
  EDGEFLEET_LOGIN_LIMIT_PER_MIN: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_RATE_LIMITS.loginPerMinute),
  EDGEFLEET_ENROLL_LIMIT_PER_MIN: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_RATE_LIMITS.enrollmentsPerMinute),
});

export type Env = z.output<typeof EnvSchema> & { brokerCaPem?: string[]; brokerCertPem?: string; brokerKeyPem?: string };

export function loadEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const r = EnvSchema.safeParse(env);
  if (!r.success) {
    throw new Error(`invalid environment: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = r.data;
  if ((e.EDGEFLEET_BROKER_CERT_FILE === undefined) !== (e.EDGEFLEET_BROKER_KEY_FILE === undefined)) {
    throw new Error('invalid environment: EDGEFLEET_BROKER_CERT_FILE and EDGEFLEET_BROKER_KEY_FILE go together');
  }
  const read = (name: string, file: string | undefined): string | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`invalid environment: ${name}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const ca = read('EDGEFLEET_BROKER_CA_FILE', e.EDGEFLEET_BROKER_CA_FILE);
  return {
    ...e,
    ...(ca ? { brokerCaPem: [ca] } : {}),
    ...(e.EDGEFLEET_BROKER_CERT_FILE ? { brokerCertPem: read('EDGEFLEET_BROKER_CERT_FILE', e.EDGEFLEET_BROKER_CERT_FILE) } : {}),
    ...(e.EDGEFLEET_BROKER_KEY_FILE ? { brokerKeyPem: read('EDGEFLEET_BROKER_KEY_FILE', e.EDGEFLEET_BROKER_KEY_FILE) } : {}),
  };
}
