/**
 * One Modbus measurement in a process of its own (so its CPU and memory are its own), against
 * the bench's server. Prints one JSON line with the result and exits.
 *
 *   node modbus-worker.js --mode raw|driver|runner --port P --tags N --seconds S [--warmup-ms W]
 *
 * - raw:    modbus-serial directly: FC 3 reads of 125 registers back to back, one in flight,
 *           over the same N registers the agent reads. The ceiling for one connection.
 * - driver: the agent's Modbus driver (from the driver registry): `readGroup` of one group of N
 *           one-register tags, called back to back.
 * - runner: the agent's DeviceRunner polling that group at the minimum interval (10 ms) on its
 *           fixed grid, scaling every value; counted from the runner's poll statistics.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeviceSchema, type Device, type Group } from '@edgefleet/protocol';
import { createLogger } from '@edgefleet/agent';
import { defaultDriverRegistry } from '../../../../agent/dist/drivers/registry.js';
import { DeviceRunner } from '../../../../agent/dist/drivers/device-runner.js';
import type { Driver } from '../../../../agent/dist/drivers/driver.js';
import { modbusDevice } from './configs.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string' },
    port: { type: 'string' },
    tags: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '4' },
    'warmup-ms': { type: 'string', default: '1500' },
    'interval-ms': { type: 'string', default: '10' },
  },
});
const mode = args.mode as 'raw' | 'driver' | 'runner';
const port = Number(args.port);
const tags = Number(args.tags);
const seconds = Number(args.seconds);
const warmupMs = Number(args['warmup-ms']);

export interface WorkerResult {
  mode: string;
  unavailable?: string;
  tags: number;
  seconds: number;
  registers: number;
  requests?: number;
  cycles?: number;
  errors: number;
  cpuSeconds: number;
  rssBytes: number;
  skippedCycles?: number;
  details?: Record<string, unknown>;
}

interface Window {
  registers: number;
  requests?: number;
  cycles?: number;
  errors: number;
}

/** Runs `step` (which adds to the counters) back to back: a warm-up, then the measured window. */
async function measure(step: (w: Window) => Promise<void>): Promise<{ w: Window; seconds: number; cpuSeconds: number }> {
  const scratch: Window = { registers: 0, requests: 0, cycles: 0, errors: 0 };
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await step(scratch);
  const w: Window = { registers: 0, requests: 0, cycles: 0, errors: 0 };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) await step(w);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { w, seconds: elapsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

async function raw(): Promise<WorkerResult> {
  const require = createRequire(import.meta.url);
  // modbus-serial is the agent's dependency; resolve it the way the agent does.
  const ModbusRTU = require(require.resolve('modbus-serial', { paths: [new URL('../../../../agent/', import.meta.url).pathname] })) as new () => {
    connectTCP(ip: string, options: { port: number }): Promise<void>;
    setID(id: number): void;
    setTimeout(ms: number): void;
    readHoldingRegisters(address: number, length: number): Promise<{ data: number[] }>;
    close(cb: () => void): void;
  };
  const client = new ModbusRTU();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(1);
  client.setTimeout(3000);
  const blocks: Array<[number, number]> = [];
  for (let a = 0; a < tags; a += 125) blocks.push([a, Math.min(125, tags - a)]);
  let next = 0;
  const { w, seconds: s, cpuSeconds } = await measure(async (win) => {
    const [address, length] = blocks[next] as [number, number];
    next = (next + 1) % blocks.length;
    try {
      const r = await client.readHoldingRegisters(address, length);
      win.registers += r.data.length;
    } catch {
      win.errors++;
    }
    win.requests = (win.requests ?? 0) + 1;
  });
  await new Promise<void>((resolve) => client.close(() => resolve()));
  return { mode, tags, seconds: s, ...w, cpuSeconds, rssBytes: process.memoryUsage().rss };
}

function device(intervalMs: number): Device {
  return DeviceSchema.parse(modbusDevice({ name: 'flat', port, tags, intervalMs }));
}

async function openDriver(dev: Device): Promise<Driver> {
  const log = createLogger('silent');
  const driver = defaultDriverRegistry().create(dev, { stateDir: process.env.BENCH_STATE_DIR ?? '/tmp', log });
  await driver.start();
  await driver.waitConnected(10_000);
  return driver;
}

async function driverLoop(): Promise<WorkerResult> {
  const dev = device(10);
  const group = dev.groups[0] as Group;
  const driver = await openDriver(dev);
  const { w, seconds: s, cpuSeconds } = await measure(async (win) => {
    try {
      const read = await driver.readGroup(group);
      const failed = read.errors.size;
      win.registers += tags - failed;
      win.errors += failed;
    } catch {
      win.errors += tags;
    }
    win.cycles = (win.cycles ?? 0) + 1;
  });
  const details = driver.details?.();
  await driver.stop();
  return { mode, tags, seconds: s, ...w, cpuSeconds, rssBytes: process.memoryUsage().rss, ...(details ? { details } : {}) };
}

async function runnerPoll(): Promise<WorkerResult> {
  const dev = device(Number(args['interval-ms']));
  const log = createLogger('silent');
  const driver = await openDriver(dev);
  const runner = new DeviceRunner(dev, driver, () => undefined, log);
  await runner.open();
  runner.run();
  await sleep(warmupMs);
  const polls0 = runner.polls;
  const errors0 = runner.tagErrors;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  // Count only whole cycles inside the window.
  const polls = runner.polls - polls0;
  const errors = runner.tagErrors - errors0;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const stats = runner.stats();
  await runner.stop();
  return {
    mode,
    tags,
    seconds: elapsed,
    registers: polls * tags - errors,
    cycles: polls,
    errors,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssBytes: process.memoryUsage().rss,
    skippedCycles: Number(stats.details?.skippedCycles ?? 0),
    ...(stats.details ? { details: stats.details } : {}),
  };
}

async function main(): Promise<void> {
  let result: WorkerResult;
  try {
    result = mode === 'raw' ? await raw() : mode === 'driver' ? await driverLoop() : await runnerPoll();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'DRIVER_UNAVAILABLE') {
      result = { mode, unavailable: e.message ?? String(err), tags, seconds: 0, registers: 0, errors: 0, cpuSeconds: 0, rssBytes: 0 };
    } else throw err;
  }
  process.stdout.write(`${JSON.stringify({ result })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
