import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../../control-plane/src/embedded/postgres.js';
import { runMigrations } from '../../../control-plane/src/database/migrate.js';

export const TEMPLATE_DB = 'edgefleet_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A maintenance-database URL on the test PostgreSQL server (embedded, or the one DATABASE_URL names). */
    pgAdminUrl: string;
    /** A migrated database to copy per test file (CREATE DATABASE … TEMPLATE). */
    pgTemplate: string;
  }
}

/**
 * Starts what every integration test needs, once per run: a real PostgreSQL — the one
 * `DATABASE_URL` names (its user must be allowed to create databases) or an embedded one — and a
 * migrated template database that test files copy.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-test-'));
  // As root, embedded PostgreSQL runs as the `postgres` user, which must be able to enter here.
  await chmod(tmp, 0o755);
  let stop: () => Promise<void> = async () => {};
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '/postgres';
    adminUrl = u.toString();
  } else {
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), database: 'postgres' });
    adminUrl = embedded.adminUrl;
    stop = embedded.stop;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE_DB}`;
  await runMigrations(templateUrl.toString());
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', TEMPLATE_DB);
  return async () => {
    if (process.env.DATABASE_URL) {
      // Leave a server we do not own as we found it.
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`).finally(() => c.end());
    }
    await stop();
    await rm(tmp, { recursive: true, force: true });
  };
}
