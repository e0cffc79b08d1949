import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runMigrations } from '@edgefleet/control-plane';
import { startEmbeddedPostgres } from '../../../control-plane/dist/embedded/postgres.js';

export interface BenchDatabase {
  url: string;
  close(): Promise<void>;
}

/** A migrated database for a benchmark: on DATABASE_URL's server when set, else an embedded PostgreSQL. */
export async function startBenchDatabase(): Promise<BenchDatabase> {
  if (process.env.DATABASE_URL) {
    const admin = new URL(process.env.DATABASE_URL);
    const name = `edgefleet_bench_${randomBytes(5).toString('hex')}`;
    const c = new pg.Client({ connectionString: admin.toString() });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    const url = new URL(admin.toString());
    url.pathname = `/${name}`;
    await runMigrations(url.toString());
    return {
      url: url.toString(),
      close: async () => {
        const d = new pg.Client({ connectionString: admin.toString() });
        await d.connect();
        await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await d.end();
      },
    };
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-bench-'));
  await chmod(tmp, 0o755);
  const embedded = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: 0 });
  await runMigrations(embedded.databaseUrl);
  return {
    url: embedded.databaseUrl,
    close: async () => {
      await embedded.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
