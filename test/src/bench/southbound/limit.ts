import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, round } from '../stats.js';
import { startChild } from './children.js';
import { startModbusPeer } from './modbus-peer.js';
import { cpuSeconds } from './proc-stats.js';
import type { WorkerResult } from './modbus-worker.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface LimitOptions {
  rounds: number;
  seconds: number;
  /** Tags (= registers) of the group the driver reads, and the range the raw loop covers. */
  tags: number;
  /** Tags of the group the DeviceRunner polls at 10 ms (large, so each cycle outlasts the interval). */
  runnerTags: number;
  cpuProfDir?: string;
  log: (line: string) => void;
}

interface ModeSummary {
  runs: number;
  registersPerSecond: number;
  registersPerSecondEach: number[];
  cpuPercent: number;
  cpuNsPerRegister: number;
  errors: number;
}

export interface LimitResult {
  server: { kind: string; note: string };
  placement: string;
  raw: ModeSummary & { requestsPerSecond: number; registersPerRequest: number; clientCpuMicrosPerRequest: number; serverCpuMicrosPerRequest: number };
  driver: (ModeSummary & { ratioToRaw: number; ratioEach: number[]; cpuEfficiencyToRaw: number; details?: Record<string, unknown> }) | { unavailable: string };
  runner: (ModeSummary & { ratioToRaw: number; tags: number; intervalMs: number; cyclesPerSecond: number; skippedCycles: number }) | { unavailable: string };
}

function pinnedCpu(): number | undefined {
  if (process.env.BENCH_PIN === '0') return undefined;
  const cpus = os.cpus().length;
  if (cpus < 2) return undefined;
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
  } catch {
    return undefined;
  }
  return Number(process.env.BENCH_PIN_CPU ?? cpus - 1);
}

function summarise(results: WorkerResult[]): ModeSummary {
  const rates = results.map((r) => r.registers / r.seconds);
  const cpu = results.map((r) => r.cpuSeconds / r.seconds);
  const nsPerReg = results.map((r) => (r.cpuSeconds * 1e9) / Math.max(1, r.registers));
  return {
    runs: results.length,
    registersPerSecond: Math.round(percentile(rates, 50)),
    registersPerSecondEach: rates.map((x) => Math.round(x)),
    cpuPercent: round(percentile(cpu, 50) * 100),
    cpuNsPerRegister: round(percentile(nsPerReg, 50)),
    errors: results.reduce((n, r) => n + r.errors, 0),
  };
}

/**
 * Sections 1 and 2: the raw modbus-serial loop (the limit) and the agent's driver flat out,
 * against one server, interleaved round by round (raw, driver, runner, raw, …) so a noisy
 * neighbour hurts both alike; each measurement is its own process.
 */
export async function runLimit(opts: LimitOptions): Promise<LimitResult> {
  const cpu = pinnedCpu();
  const peer = await startModbusPeer({ listeners: 1, ...(cpu !== undefined ? { pinCpu: cpu } : {}) });
  const placement =
    cpu !== undefined
      ? `server and client pinned to CPU ${cpu} (taskset): a request/answer ping-pong across two vCPUs here costs 3× more wall time and swings with placement`
      : 'unpinned (no taskset or BENCH_PIN=0)';
  opts.log(`modbus server: ${peer.note}, port ${peer.ports[0]}; ${placement}`);
  const port = String(peer.ports[0]);
  // The server's CPU per request, over the raw runs: shows it is not what limits the client.
  const serverCost = { cpu: 0, requests: 0 };
  const work = async (mode: 'raw' | 'driver' | 'runner'): Promise<WorkerResult> => {
    const cpu0 = await cpuSeconds(peer.pid);
    const req0 = await peer.requests();
    const tags = mode === 'runner' ? opts.runnerTags : opts.tags;
    const nodeArgs = opts.cpuProfDir && mode !== 'raw' ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, `--cpu-prof-name=modbus-${mode}-${Date.now()}.cpuprofile`] : [];
    const args = [...nodeArgs, path.join(here, 'modbus-worker.js'), '--mode', mode, '--port', port, '--tags', String(tags), '--seconds', String(opts.seconds)];
    const child = cpu !== undefined ? startChild(`worker-${mode}`, 'taskset', ['-c', String(cpu), process.execPath, ...args], { keepStdin: false }) : startChild(`worker-${mode}`, process.execPath, args, { keepStdin: false });
    try {
      const result = await child.waitForJson((m) => m.result as WorkerResult | undefined, opts.seconds * 1000 + 60_000, `the ${mode} result`);
      // It exits by itself (writing its CPU profile, if asked); stop() is only the backstop.
      await Promise.race([child.exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
      if (mode === 'raw') {
        serverCost.cpu += (await cpuSeconds(peer.pid)) - cpu0;
        serverCost.requests += (await peer.requests()) - req0;
      }
      return result;
    } finally {
      await child.stop();
    }
  };
  try {
    const raw: WorkerResult[] = [];
    const driver: WorkerResult[] = [];
    const runner: WorkerResult[] = [];
    let driverUnavailable: string | undefined;
    for (let round = 1; round <= opts.rounds; round++) {
      const r = await work('raw');
      raw.push(r);
      opts.log(`round ${round}: raw ${Math.round(r.registers / r.seconds).toLocaleString('en')} registers/s (${Math.round((r.requests ?? 0) / r.seconds).toLocaleString('en')} req/s, CPU ${round1((r.cpuSeconds / r.seconds) * 100)}%)`);
      if (driverUnavailable) continue;
      const d = await work('driver');
      if (d.unavailable) {
        driverUnavailable = d.unavailable;
        opts.log(`driver unavailable: ${d.unavailable}`);
        continue;
      }
      driver.push(d);
      opts.log(`round ${round}: driver.readGroup loop ${Math.round(d.registers / d.seconds).toLocaleString('en')} registers/s (CPU ${round1((d.cpuSeconds / d.seconds) * 100)}%, ${d.errors} tag errors)`);
      const n = await work('runner');
      runner.push(n);
      opts.log(`round ${round}: DeviceRunner @10 ms ${Math.round(n.registers / n.seconds).toLocaleString('en')} registers/s (${n.cycles} cycles, ${n.skippedCycles} grid ticks skipped, CPU ${round1((n.cpuSeconds / n.seconds) * 100)}%)`);
    }
    const rawSummary = summarise(raw);
    const rawRate = rawSummary.registersPerSecond;
    const result: LimitResult = {
      server: { kind: peer.kind, note: peer.note },
      placement,
      raw: {
        ...rawSummary,
        requestsPerSecond: Math.round(percentile(raw.map((r) => (r.requests ?? 0) / r.seconds), 50)),
        registersPerRequest: 125,
        clientCpuMicrosPerRequest: round(percentile(raw.map((r) => (r.cpuSeconds * 1e6) / Math.max(1, r.requests ?? 0)), 50), 1),
        serverCpuMicrosPerRequest: round((serverCost.cpu * 1e6) / Math.max(1, serverCost.requests), 1),
      },
      driver: driverUnavailable ? { unavailable: driverUnavailable } : { unavailable: 'not measured' },
      runner: driverUnavailable ? { unavailable: driverUnavailable } : { unavailable: 'not measured' },
    };
    if (driver.length > 0) {
      const s = summarise(driver);
      // Paired ratios (driver over the raw run just before it) show how much of the spread is the machine.
      const ratioEach = driver.map((d, i) => round(d.registers / d.seconds / ((raw[i] as WorkerResult).registers / (raw[i] as WorkerResult).seconds), 3));
      const details = driver.at(-1)?.details;
      // CPU per register, raw over driver: what the ratio would be if both were CPU-bound; much
      // less sensitive to a busy machine than throughput, since waiting costs no CPU.
      const cpuEfficiencyToRaw = round(rawSummary.cpuNsPerRegister / s.cpuNsPerRegister, 3);
      result.driver = { ...s, ratioToRaw: round(s.registersPerSecond / rawRate, 3), ratioEach, cpuEfficiencyToRaw, ...(details ? { details } : {}) };
    }
    if (runner.length > 0) {
      const s = summarise(runner);
      result.runner = {
        ...s,
        ratioToRaw: round(s.registersPerSecond / rawRate, 3),
        tags: opts.runnerTags,
        intervalMs: 10,
        cyclesPerSecond: round(percentile(runner.map((r) => (r.cycles ?? 0) / r.seconds), 50), 2),
        skippedCycles: runner.reduce((n, r) => n + (r.skippedCycles ?? 0), 0),
      };
    }
    return result;
  } finally {
    await peer.stop();
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
