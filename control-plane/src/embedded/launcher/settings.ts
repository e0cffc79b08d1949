import path from 'node:path';

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
  };
}
