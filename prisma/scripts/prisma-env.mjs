// Environment for running the Prisma CLI on machines that reach only the npm registry:
// no telemetry, caches in a temp dir, and a DATABASE_URL even where the command needs none
// (without one the CLI reaches for the query-engine binary).
import os from 'node:os';
import path from 'node:path';

export function prismaEnv(databaseUrl) {
  const home = path.join(os.tmpdir(), 'edgefleet-prisma');
  return {
    ...process.env,
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME ?? path.join(home, 'config'),
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? path.join(home, 'cache'),
    DATABASE_URL: databaseUrl ?? process.env.DATABASE_URL ?? 'postgresql://unused@localhost:5432/unused',
  };
}
