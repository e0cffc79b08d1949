import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository's prisma/ folder (schema, migrations, CLI config). */
export const PRISMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../prisma');

/**
 * Applies pending migrations with the official `prisma migrate deploy` (JS engine, pg adapter;
 * see prisma/prisma.config.ts). Prisma takes a PostgreSQL advisory lock, so replicas starting
 * together apply each migration once.
 */
export async function runMigrations(databaseUrl: string): Promise<void> {
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  const home = path.join(os.tmpdir(), 'edgefleet-prisma');
  try {
    await run(process.execPath, [cli, 'migrate', 'deploy', '--config', path.join(PRISMA_DIR, 'prisma.config.ts')], {
      cwd: PRISMA_DIR,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        CHECKPOINT_DISABLE: '1',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME ?? path.join(home, 'config'),
        XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? path.join(home, 'cache'),
      },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const detail = `${e.stderr ?? ''}\n${e.stdout ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`database migration failed: ${detail || e.message}`);
  }
}
