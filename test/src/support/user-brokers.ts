/**
 * Brokers of "the user's" for the northbound sinks to publish to: the real Debian Mosquitto and
 * an in-process aedes (the embedded broker's library), each on a fixed random port so a test can
 * stop one (an outage) and bring it back where the sink expects it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Aedes } from 'aedes';
import { eventually } from './eventually.js';
import { MOSQUITTO_BIN } from './mosquitto.js';
import { canConnect, freePort } from './ports.js';

export interface UserBroker {
  url: string;
  port: number;
  /** What a client passes to log in (empty for an anonymous broker). */
  auth: { username?: string; password?: string };
  /** Stops the broker (an outage); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its files. */
  close(): Promise<void>;
}

export interface UserMosquittoOptions {
  /** Require this user name and password (a password file made with mosquitto_passwd). */
  login?: { username: string; password: string };
  /**
   * Keep sessions and queued messages across a restart (stop with SIGTERM so Mosquitto saves
   * them): a consumer with a persistent session then misses nothing published while it was
   * reconnecting. Without it, `stop()` is a SIGKILL and the broker forgets everything.
   */
  persistence?: boolean;
}

/** The Debian Mosquitto, anonymous or with a password file. */
export async function startUserMosquitto(opts: UserMosquittoOptions = {}): Promise<UserBroker> {
  await access(MOSQUITTO_BIN).catch(() => {
    throw new Error(`Mosquitto is not installed (${MOSQUITTO_BIN} is missing): apt-get install -y mosquitto`);
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ef-user-mosquitto-'));
  await chmod(dir, 0o777);
  const port = await freePort();
  const lines = ['per_listener_settings false', 'set_tcp_nodelay true', `listener ${port} 127.0.0.1`];
  if (opts.login) {
    const passwd = path.join(dir, 'passwd');
    await writeFile(passwd, '');
    execFileSync('/usr/bin/mosquitto_passwd', ['-b', passwd, opts.login.username, opts.login.password]);
    await chmod(passwd, 0o644);
    lines.push('allow_anonymous false', `password_file ${passwd}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (opts.persistence) {
    const data = path.join(dir, 'data');
    await mkdir(data);
    await chmod(data, 0o777);
    // No cap on what is queued for a consumer that is away: an outage test counts every message.
    lines.push('persistence true', `persistence_location ${data}/`, 'max_queued_messages 0', 'max_queued_bytes 0');
  } else {
    lines.push('persistence false');
  }
  const config = path.join(dir, 'mosquitto.conf');
  await writeFile(config, `${lines.join('\n')}\n`);
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const hard = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      c.kill(opts.persistence ? 'SIGTERM' : 'SIGKILL');
    });
  };
  const broker: UserBroker = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    auth: opts.login ? { ...opts.login } : {},
    async start() {
      if (child) return;
      child = spawn(MOSQUITTO_BIN, ['-c', config], { stdio: 'ignore' });
      await eventually(async () => canConnect(port), `Mosquitto listening on ${port}`, 10_000, 50);
    },
    stop,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}

/** aedes, the embedded broker's library, anonymous. */
export async function startUserAedes(): Promise<UserBroker> {
  const port = await freePort();
  let server: Server | undefined;
  let aedes: Aedes | undefined;
  let openSockets = new Set<Socket>();
  const stop = async (): Promise<void> => {
    const s = server;
    const a = aedes;
    server = undefined;
    aedes = undefined;
    if (s) {
      for (const socket of openSockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    if (a) await new Promise<void>((resolve) => a.close(() => resolve()));
  };
  const broker: UserBroker = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    auth: {},
    async start() {
      if (server) return;
      aedes = await Aedes.createBroker();
      const a = aedes;
      const sockets = new Set<Socket>();
      server = createServer((socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        a.handle(socket);
      });
      openSockets = sockets;
      const s = server;
      await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    },
    stop,
    close: stop,
  };
  await broker.start();
  return broker;
}
