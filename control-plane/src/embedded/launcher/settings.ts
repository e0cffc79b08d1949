import path from 'node:path';
import { DEFAULT_HEALTH_SAMPLE_MS, HEALTH_SAMPLE_MS_RANGE } from '../../config/settings.js';

/** What `npm start` reads from its environment, validated once at boot. */
export interface LauncherSettings {
  /** Absolute path of `EDGEFLEET_DATA_DIR` (default `./.edgefleet`). */
  dataDir: string;
  /** `PORT`, default 8080. */
  httpPort: number;
  /** `MQTT_PORT`, default 8883. */
  mqttPort: number;
  /** `DATABASE_URL`: use this PostgreSQL instead of the embedded one. */
  databaseUrl: string | undefined;
  /** `EDGEFLEET_ADMIN_PASSWORD`. */
  adminPassword: string | undefined;
  /** `EDGEFLEET_HEALTH_SAMPLE_MS`, default 30000: at most one stored heartbeat per agent per this period. */
  healthSampleMs: number;
}

/** A start-up problem the user can fix; printed as one line, without a stack trace. */
export class LaunchError extends Error {}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new LaunchError(`${name} must be a port number (0-65535), got ${JSON.stringify(raw)}`);
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, range: { min: number; max: number }): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || value > range.max) throw new LaunchError(`${name} must be a whole number from ${range.min} to ${range.max}, got ${JSON.stringify(raw)}`);
  return value;
}

export function readLauncherSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LauncherSettings {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new LaunchError('DATABASE_URL must be a postgresql:// connection string');
  const adminPassword = env.EDGEFLEET_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8) throw new LaunchError('EDGEFLEET_ADMIN_PASSWORD must be at least 8 characters');
  return {
    dataDir: path.resolve(cwd, env.EDGEFLEET_DATA_DIR?.trim() || '.edgefleet'),
    httpPort: port(env, 'PORT', 8080),
    mqttPort: port(env, 'MQTT_PORT', 8883),
    databaseUrl,
    adminPassword,
    healthSampleMs: integer(env, 'EDGEFLEET_HEALTH_SAMPLE_MS', DEFAULT_HEALTH_SAMPLE_MS, HEALTH_SAMPLE_MS_RANGE),
  };
}
