import { createControlPlane } from './app/create-control-plane.js';
import { loadEnv } from './config/env.js';
import { resolveMasterKey } from './config/master-key.js';
import { runMigrations } from './database/migrate.js';

/**
 * Production entry: a managed PostgreSQL and an external broker (EMQX, Mosquitto). Replicas may
 * start together: migrations take an advisory lock and the CA is created insert-if-absent.
 */
async function main(): Promise<void> {
  const env = loadEnv();
  await runMigrations(env.DATABASE_URL);
  const plane = await createControlPlane({
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    masterKey: resolveMasterKey(env.EDGEFLEET_DATA_DIR),
    adminUsername: env.EDGEFLEET_ADMIN_USERNAME,
    adminPassword: env.EDGEFLEET_ADMIN_PASSWORD,
    broker: {
      url: env.EDGEFLEET_BROKER_URL,
      sharedSubscriptions: env.EDGEFLEET_SHARED_SUBSCRIPTIONS,
      ...(env.brokerCaPem ? { caPem: env.brokerCaPem } : {}),
      ...(env.brokerCertPem && env.brokerKeyPem ? { certPem: env.brokerCertPem, keyPem: env.brokerKeyPem } : {}),
    },
    publicBrokerUrl: env.EDGEFLEET_PUBLIC_BROKER_URL,
    ...(env.EDGEFLEET_PUBLIC_URL ? { publicUrl: env.EDGEFLEET_PUBLIC_URL } : {}),
    ...(env.EDGEFLEET_CONSOLE_DIR ? { consoleDir: env.EDGEFLEET_CONSOLE_DIR } : {}),
    healthSampleMs: env.EDGEFLEET_HEALTH_SAMPLE_MS,
    rateLimits: { loginPerMinute: env.EDGEFLEET_LOGIN_LIMIT_PER_MIN, enrollmentsPerMinute: env.EDGEFLEET_ENROLL_LIMIT_PER_MIN },
    logger: env.EDGEFLEET_LOG_LEVEL,
  });
  const stop = (): void => {
    void plane.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
