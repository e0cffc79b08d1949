import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startChild, type Child } from './children.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The C source stays in src/ (tsc does not copy it); this file runs from test/dist/bench/southbound. */
const C_SOURCE = path.resolve(here, '../../../src/bench/southbound/modbus-server.c');
const NODE_SERVER = path.join(here, 'modbus-server.js');

export type ModbusServerKind = 'c' | 'node';

export interface ModbusPeer {
  kind: ModbusServerKind;
  /** Why this kind (e.g. no C compiler). */
  note: string;
  ports: number[];
  pid: number;
  child: Child;
  /** Requests answered since start. */
  requests(): Promise<number>;
  stop(): Promise<void>;
}

/** Compiles the C server once per source version into the temp dir; undefined without a compiler. */
async function compiledServer(): Promise<{ bin?: string; note: string }> {
  const source = await readFile(C_SOURCE).catch(() => undefined);
  if (!source) return { note: `no ${C_SOURCE}` };
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), 'edgefleet-bench');
  const bin = path.join(dir, `modbus-server-${digest}`);
  try {
    await access(bin);
    return { bin, note: 'C server (epoll), compiled with cc -O2' };
  } catch {
    // not built yet
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}`;
  try {
    await promisify(execFile)(process.env.CC ?? 'cc', ['-O2', '-o', tmp, C_SOURCE]);
    await rename(tmp, bin);
    return { bin, note: 'C server (epoll), compiled with cc -O2' };
  } catch (err) {
    return { note: `could not compile the C server (${(err as Error).message.split('\n')[0]}); using the Node.js one` };
  }
}

/**
 * Starts the benchmark's Modbus TCP server in its own process: the C one when a compiler is at
 * hand (a few µs a request, so the client is the limit), else the Node.js one.
 * `BENCH_MODBUS_SERVER=node` forces the Node.js one.
 */
export async function startModbusPeer(opts: { listeners: number; tickMs?: number; name?: string; pinCpu?: number }): Promise<ModbusPeer> {
  const args = ['--listeners', String(opts.listeners), '--tick-ms', String(opts.tickMs ?? 0)];
  const launch = (command: string, commandArgs: string[]) =>
    opts.pinCpu === undefined
      ? startChild(opts.name ?? 'modbus-server', command, commandArgs)
      : startChild(opts.name ?? 'modbus-server', 'taskset', ['-c', String(opts.pinCpu), command, ...commandArgs]);
  let kind: ModbusServerKind = 'node';
  let note = 'Node.js server (forced by BENCH_MODBUS_SERVER=node)';
  let child: Child;
  const compiled: { bin?: string; note?: string } = process.env.BENCH_MODBUS_SERVER === 'node' ? {} : await compiledServer();
  if (compiled.bin) {
    kind = 'c';
    note = compiled.note ?? '';
    child = launch(compiled.bin, args);
  } else {
    if (compiled.note) note = compiled.note;
    child = launch(process.execPath, [NODE_SERVER, ...args]);
  }
  const ports = await child.waitForJson((m) => (Array.isArray(m.ports) ? (m.ports as number[]) : undefined), 10_000, 'its ports');
  // Under taskset the child is taskset's exec'd program: same pid.
  return {
    kind,
    note,
    ports,
    pid: child.pid,
    child,
    requests: async () => {
      child.send('stats');
      // Each answer is one line; take the first one after our question.
      const seen = child.lines.length;
      return new Promise<number>((resolve, reject) => {
        const until = Date.now() + 5000;
        const poll = () => {
          for (let i = seen; i < child.lines.length; i++) {
            const line = child.lines[i] as string;
            if (line.includes('"requests"')) return resolve(Number((JSON.parse(line) as { requests: number }).requests));
          }
          if (Date.now() > until) return reject(new Error('the modbus server gave no stats'));
          setTimeout(poll, 10);
        };
        poll();
      });
    },
    stop: () => child.stop(),
  };
}
