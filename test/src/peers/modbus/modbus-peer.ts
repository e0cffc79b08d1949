import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A real Modbus peer for integration tests: the pymodbus 3.0 server of `server.py` (Debian's
 * python3-pymodbus, run with /usr/bin/python3), serving Modbus TCP, RTU framing over TCP, or RTU
 * on one end of a socat pseudo-terminal pair. Tests set and read what the slaves hold through a
 * JSON line channel on the server's stdin/stdout, make a slave silent, make addresses refuse
 * reads, and see every request the server executed.
 */

export const PYTHON = process.env.MODBUS_PEER_PYTHON ?? '/usr/bin/python3';
export const SOCAT = process.env.SOCAT_BIN ?? '/usr/bin/socat';
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server.py');

export type ModbusPeerMode = 'tcp' | 'rtu-over-tcp' | 'rtu';
/** co coils, di discrete inputs, ir input registers, hr holding registers. */
export type PeerArea = 'co' | 'di' | 'ir' | 'hr';

export interface PeerRequest {
  unit: number;
  /** Function code: 1–4 reads, 5/6/15/16 writes. */
  fc: number;
  /** Zero-based, as on the wire. */
  address: number;
  count: number;
}

export interface ModbusPeerOptions {
  mode: ModbusPeerMode;
  /** Slave ids the server answers for (default [1]). */
  units?: number[];
}

export interface ModbusPeer {
  readonly mode: ModbusPeerMode;
  readonly host: string;
  /** TCP modes: the port the server listens on (kept across `restart`). */
  readonly port: number;
  /** RTU: the pseudo-terminal the driver opens (the server holds the other end). */
  readonly serialPath: string;
  set(unit: number, area: PeerArea, address: number, values: Array<number | boolean>): Promise<void>;
  get(unit: number, area: PeerArea, address: number, count: number): Promise<number[]>;
  /** A silent slave never answers, as if it were absent from the line. */
  silent(unit: number, silent: boolean): Promise<void>;
  /** Answers exception 11 for the slave, as a gateway does when the device behind it does not respond. */
  unreachable(unit: number, unreachable: boolean): Promise<void>;
  /** Inclusive zero-based ranges that answer exception 2 (illegal data address). */
  holes(unit: number, area: PeerArea, ranges: Array<[number, number]>): Promise<void>;
  requests(): Promise<PeerRequest[]>;
  clearRequests(): Promise<void>;
  /** Kills the server (the device goes away); `restart` brings a fresh one on the same port. */
  kill(): Promise<void>;
  /**
   * A fresh server where the old one was. RTU with `line`: the pseudo-terminal pair goes too
   * (as an unplugged USB adapter) and comes back under the same path.
   */
  restart(options?: { line?: boolean }): Promise<void>;
  /** What the server wrote to stderr. */
  output(): string;
  stop(): Promise<void>;
}

/** Fails with a clear message when a peer program is missing: tests never skip. */
async function requirePrograms(mode: ModbusPeerMode): Promise<void> {
  try {
    await access(PYTHON);
  } catch {
    throw new Error(`${PYTHON} is missing: the Modbus test peer needs Debian's python3 with python3-pymodbus (apt-get install -y python3-pymodbus)`);
  }
  const probe = spawnSync(PYTHON, ['-c', 'import pymodbus, serial_asyncio; print(pymodbus.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`pymodbus cannot be imported by ${PYTHON}: apt-get install -y python3-pymodbus (${(probe.stderr || probe.error?.message || '').trim()})`);
  }
  if (mode === 'rtu') {
    try {
      await access(SOCAT);
    } catch {
      throw new Error(`${SOCAT} is missing: Modbus RTU tests need socat for a pseudo-terminal pair (apt-get install -y socat)`);
    }
  }
}

class ServerProcess {
  private readonly child: ChildProcess;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readyResolve: ((port: number) => void) | undefined;
  private readonly exited: Promise<void>;
  stderr = '';

  readonly ready: Promise<number>;

  constructor(args: string[]) {
    this.child = spawn(PYTHON, [SERVER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.ready = new Promise<number>((resolve, reject) => {
      this.readyResolve = resolve;
      this.child.once('error', (err) => reject(new Error(`cannot start the Modbus peer: ${err.message}`)));
      this.child.once('exit', (code, signal) => reject(new Error(`the Modbus peer exited (${code ?? signal}) before it was ready:\n${this.stderr}`)));
    });
    // The ready promise may be abandoned after a timeout: keep its rejection from being unhandled.
    this.ready.catch(() => undefined);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => this.onData(s));
    this.child.once('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`the Modbus peer exited:\n${this.stderr}`));
      this.pending.clear();
    });
  }

  private onData(s: string): void {
    this.buffer += s;
    for (let i = this.buffer.indexOf('\n'); i >= 0; i = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 1);
      const msg = JSON.parse(line) as { event?: string; port?: number; id?: number; ok?: boolean; result?: unknown; error?: string };
      if (msg.event === 'ready') {
        this.readyResolve?.(msg.port ?? 0);
        continue;
      }
      const p = this.pending.get(msg.id ?? -1);
      if (!p) continue;
      this.pending.delete(msg.id!);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`Modbus peer: ${msg.error}`));
    }
  }

  call(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Starts socat with two linked pseudo-terminals under `dir`: `server` and `driver`. */
async function startPtyPair(dir: string): Promise<{ server: string; driver: string; stop: () => Promise<void> }> {
  const server = path.join(dir, 'server');
  const driver = path.join(dir, 'driver');
  const child = spawn(SOCAT, ['-d', '-d', `pty,raw,echo=0,link=${server}`, `pty,raw,echo=0,link=${driver}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat did not set up a pty pair in 10 s:\n${log}`)), 10_000);
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      log += s;
      if (log.includes('starting data transfer loop')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`socat exited (${code}):\n${log}`));
    });
  });
  return {
    server,
    driver,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Sends one FC 3 read of register 0 and waits for any answer: the server is really serving. */
function probe(host: string, port: number, unit: number, rtu: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000);
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      const pdu = Buffer.from([unit, 3, 0, 0, 0, 1]);
      if (rtu) {
        const frame = Buffer.alloc(8);
        pdu.copy(frame);
        frame.writeUInt16LE(crc16(pdu), 6);
        socket.write(frame);
      } else {
        const mbap = Buffer.from([0, 1, 0, 0, 0, 6]);
        socket.write(Buffer.concat([mbap, pdu]));
      }
    });
    socket.once('data', () => done(true));
  });
}

function crc16(data: Buffer): number {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
  }
  return crc;
}

async function startServer(args: string[]): Promise<{ server: ServerProcess; port: number }> {
  const server = new ServerProcess(args);
  let timer: NodeJS.Timeout | undefined;
  try {
    const port = await Promise.race([
      server.ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the Modbus peer was not ready within 15 s:\n${server.stderr}`)), 15_000);
      }),
    ]);
    return { server, port };
  } catch (err) {
    await server.kill();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export async function startModbusPeer(options: ModbusPeerOptions): Promise<ModbusPeer> {
  const { mode } = options;
  const units = options.units ?? [1];
  await requirePrograms(mode);
  const host = '127.0.0.1';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-modbus-peer-'));
  let pty: Awaited<ReturnType<typeof startPtyPair>> | undefined;
  try {
    if (mode === 'rtu') pty = await startPtyPair(dir);
    const baseArgs = ['--mode', mode, '--units', units.join(','), ...(pty ? ['--serial', pty.server] : ['--host', host])];
    // Port 0: the server binds a free port itself and reports it, so no other process can take it in between.
    let { server, port } = await startServer([...baseArgs, '--port', '0']);
    const waitServing = async () => {
      if (mode === 'rtu') {
        await server.call('ping');
        return;
      }
      const deadline = Date.now() + 10_000;
      while (!(await probe(host, port, units[0]!, mode === 'rtu-over-tcp'))) {
        if (Date.now() > deadline) throw new Error(`the Modbus peer on port ${port} does not answer:\n${server.stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await server.call('clear_requests');
    };
    await waitServing();
    let stopped = false;
    const peer: ModbusPeer = {
      mode,
      host,
      get port() {
        return port;
      },
      serialPath: pty?.driver ?? '',
      set: async (unit, area, address, values) => {
        await server.call('set', { unit, area, address, values: values.map(Number) });
      },
      get: async (unit, area, address, count) => (await server.call('get', { unit, area, address, count })) as number[],
      silent: async (unit, silent) => {
        await server.call('silent', { unit, silent });
      },
      unreachable: async (unit, unreachable) => {
        await server.call('unreachable', { unit, unreachable });
      },
      holes: async (unit, area, ranges) => {
        await server.call('holes', { unit, area, ranges });
      },
      requests: async () => (await server.call('requests')) as PeerRequest[],
      clearRequests: async () => {
        await server.call('clear_requests');
      },
      kill: () => server.kill(),
      restart: async (opts = {}) => {
        await server.kill();
        if (opts.line && pty) {
          await pty.stop();
          pty = await startPtyPair(dir);
        }
        // The same port (or pty) as before, so the driver finds it where it was.
        const args = [...baseArgs, '--port', String(port)];
        let last: unknown;
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            ({ server, port } = await startServer(args));
            await waitServing();
            return;
          } catch (err) {
            last = err;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
        throw new Error(`the Modbus peer could not restart on port ${port}: ${String(last)}`);
      },
      output: () => server.stderr,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await server.kill();
        await pty?.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
    return peer;
  } catch (err) {
    await pty?.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
