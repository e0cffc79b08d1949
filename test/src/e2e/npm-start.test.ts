/**
 * `npm start` as a user runs it (the built launcher, as `npm start` runs it after building):
 * a fresh data dir comes up with an online, IN_SYNC local agent publishing simulated values;
 * Ctrl-C stops everything with status 0; a second start finds the same agent, CA and password.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LoginResponseSchema } from '@edgefleet/protocol';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/eventually.js';
import { AgentListSchema, ValuesSchema } from '../support/fixtures.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../control-plane/dist/embedded/main.js');

interface Launched {
  child: ChildProcess;
  output: () => string;
  url: string;
  password: string;
  exit: Promise<number | null>;
}

/** Every wait is bounded and a failure shows what the launcher printed, so CI says why. */
async function within<T>(l: Launched, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}\n--- launcher output ---\n${l.output()}`);
  }
}

/** Ctrl-C, and the exit status, within a minute (the launcher bounds each stop step). */
async function interrupt(l: Launched): Promise<number | null> {
  l.child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the launcher did not exit within 60 s of SIGINT')), 60_000);
  });
  try {
    return await within(l, 'exit', () => Promise.race([l.exit, late]));
  } finally {
    clearTimeout(timer);
  }
}

async function launch(env: Record<string, string>): Promise<Launched> {
  // Without DATABASE_URL: the embedded database, as on a fresh machine.
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, [MAIN], { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /^\s*Console\s+(http:\/\/\S+?)\/?$/m.exec(out)?.[1];
    const password = /^\s*Admin\s+admin \/ (\S+)/m.exec(out)?.[1];
    if (url && password) return { child, output: () => out, url, password, exit };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the launcher did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function api<S extends z.ZodType>(base: string, token: string | undefined, method: string, p: string, body: unknown, schema: S): Promise<z.output<S>> {
  const res = await fetch(`${base}/api/v1${p}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return schema.parse(await res.json());
}

describe('npm start', { timeout: 420_000 }, () => {
  let dir: string | undefined;
  let running: Launched | undefined;
  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGINT');
      await running.exit;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('comes up with an online, IN_SYNC local agent publishing values, stops on Ctrl-C, and keeps its state', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-start-'));
    await chmod(dir, 0o755);
    // The agent keeps the broker URL it enrolled with, so the broker port must stay the same across restarts.
    const env = { PORT: '0', MQTT_PORT: String(await freePort()), EDGEFLEET_DATA_DIR: path.join(dir, 'data') };

    running = await launch(env);
    const first = running;
    const login = await api(first.url, undefined, 'POST', '/auth/login', { username: 'admin', password: first.password }, LoginResponseSchema);
    const agent = await within(first, 'in sync', () =>
      eventually(async () => {
        const a = (await api(first.url, login.token, 'GET', '/agents', undefined, AgentListSchema)).items.find((x) => x.name === 'local-agent');
        return a?.online && a.syncStatus === 'IN_SYNC' ? a : undefined;
      }, 'the local agent online and IN_SYNC', 60_000),
    );
    expect(agent.appliedRevision).toBe(1);
    const values = await within(first, 'values', () =>
      eventually(async () => {
        const v = await api(first.url, login.token, 'GET', `/agents/${agent.id}/values`, undefined, ValuesSchema);
        return v.groups.some((g) => Object.keys(g.values).length > 0) ? v : undefined;
      }, 'live values', 60_000),
    );
    expect(values.groups[0]?.device).toBe('sim');

    expect(await interrupt(first)).toBe(0);
    expect(first.output()).not.toMatch(/unhandled|TypeError|did not stop within|did not close in time|still busy at shutdown/i);

    running = await launch(env);
    const second = running;
    expect(second.password).toBe(first.password);
    const login2 = await api(second.url, undefined, 'POST', '/auth/login', { username: 'admin', password: second.password }, LoginResponseSchema);
    const again = await within(second, 'back in sync', () =>
      eventually(async () => {
        const list = (await api(second.url, login2.token, 'GET', '/agents', undefined, AgentListSchema)).items;
        const a = list.find((x) => x.id === agent.id);
        return a?.online && a.syncStatus === 'IN_SYNC' && list.length === 1 ? a : undefined;
      }, 'the same agent back online and IN_SYNC', 60_000),
    );
    expect(again.appliedRevision).toBe(1);
    expect(await interrupt(second)).toBe(0);
    expect(second.output()).not.toMatch(/did not stop within|did not close in time|still busy at shutdown/);
  });
});
