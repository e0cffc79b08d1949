import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './postgres.js';

describe('embedded PostgreSQL', () => {
  it('runs real PostgreSQL and leaves the process exit handlers alone (a failing exit code stays failing)', { timeout: 60_000 }, async () => {
    const events = ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const count = () => events.map((e) => process.listenerCount(e));
    const before = count();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-pg-'));
    await chmod(dir, 0o755);
    const handle = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: 0 });
    try {
      expect(count()).toEqual(before);
      const c = new pg.Client({ connectionString: handle.databaseUrl });
      await c.connect();
      const r = await c.query<{ v: string }>("SELECT current_setting('server_version') AS v");
      await c.end();
      expect(Number.parseInt(r.rows[0]!.v, 10)).toBeGreaterThanOrEqual(15);
    } finally {
      await handle.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not turn a failing exit code into success (a test runner must still fail)', { timeout: 60_000 }, async () => {
    // In a child process, as a test runner or the launcher would use it: start, stop, then
    // end with a failing exit code and no explicit process.exit().
    const built = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/embedded/postgres.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-pg-exit-'));
    await chmod(dir, 0o755);
    const script = `
      const { startEmbeddedPostgres } = await import(${JSON.stringify(built)});
      const h = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(path.join(dir, 'pg'))}, port: 0 });
      await h.stop();
      process.exitCode = 3;`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 50_000 });
    await rm(dir, { recursive: true, force: true });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
  });
});
