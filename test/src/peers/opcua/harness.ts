import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeviceSchema, type Device, type DeviceInput, type Group, type GroupInput, type TagValue } from '@edgefleet/protocol';
import { createLogger, type LogLevel } from '../../../../agent/src/log.js';
import type { Driver, GroupRead } from '../../../../agent/src/drivers/driver.js';
import { toRecords } from '../../../../agent/src/runtime/group-sample.js';
import { OpcUaDriver } from '../../../../agent/src/drivers/opcua/opcua-driver.js';
import { AgentError } from '../../../../agent/src/util/errors.js';

export type OpcUaDevice = Extract<Device, { driver: 'opcua' }>;
type SettingsInput = Extract<DeviceInput, { driver: 'opcua' }>['settings'];

/** A validated OPC UA device, as the agent gets it from a config document. */
export function opcuaDevice(settings: SettingsInput, groups: GroupInput[] = [], name = 'plc'): OpcUaDevice {
  const device = DeviceSchema.parse({ name, driver: 'opcua', settings, groups });
  if (device.driver !== 'opcua') throw new Error('not an OPC UA device');
  return device;
}

export interface Delivery {
  values: Record<string, TagValue>;
  errors: Record<string, number>;
  timestamp: number;
  receivedAt: number;
}

/** Collects what a subscription delivers, as records by tag name (the driver reuses its arrays). */
export class Deliveries {
  readonly all: Delivery[] = [];
  /** The callback to subscribe `group` with. */
  to(group: Group): (read: GroupRead, timestamp: number) => void {
    return (read, timestamp) => {
      this.all.push({ ...toRecords(group.tags, read), timestamp, receivedAt: Date.now() });
    };
  }

  /** Values of one tag, in delivery order. */
  valuesOf(tag: string): TagValue[] {
    return this.all.filter((d) => tag in d.values).map((d) => d.values[tag]!);
  }

  /** The latest value of each tag across every delivery. */
  latest(): Record<string, TagValue> {
    return Object.assign({}, ...this.all.map((d) => d.values)) as Record<string, TagValue>;
  }
}

/**
 * Drivers made by one test file, with their state dirs (each agent has its own PKI), all
 * stopped and removed by `dispose()`. Logs are silent unless OPCUA_TEST_LOG names a level.
 */
export class DriverHarness {
  private readonly drivers: OpcUaDriver[] = [];
  private readonly dirs: string[] = [];
  readonly log = createLogger((process.env.OPCUA_TEST_LOG as LogLevel | undefined) ?? 'silent');
  private stateDir: string | undefined;

  /** One state dir shared by this harness's drivers, as the devices of one agent share it. */
  async sharedStateDir(): Promise<string> {
    this.stateDir ??= await this.newStateDir();
    return this.stateDir;
  }

  async newStateDir(): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ef-opcua-agent-'));
    this.dirs.push(dir);
    return dir;
  }

  async start(device: OpcUaDevice, stateDir?: string): Promise<OpcUaDriver> {
    const driver = new OpcUaDriver(device, { stateDir: stateDir ?? (await this.sharedStateDir()), log: this.log });
    this.drivers.push(driver);
    await driver.start();
    return driver;
  }

  async stop(driver: OpcUaDriver): Promise<void> {
    const i = this.drivers.indexOf(driver);
    if (i >= 0) this.drivers.splice(i, 1);
    await driver.stop();
  }

  async dispose(): Promise<void> {
    await Promise.all(this.drivers.splice(0).map((d) => d.stop()));
    // The next start gets a fresh state dir: the removed one must not be recreated untracked.
    this.stateDir = undefined;
    await Promise.all(this.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

export function group(name: string, intervalMs: number, tags: GroupInput['tags'], acquisition?: 'poll' | 'subscribe'): GroupInput {
  return { name, intervalMs, tags, ...(acquisition ? { acquisition } : {}) };
}

export function onlyGroup(device: OpcUaDevice, name?: string): Group {
  const g = name ? device.groups.find((x) => x.name === name) : device.groups[0];
  if (!g) throw new Error(`no group ${name ?? ''}`);
  return g;
}

/** The AgentError a promise rejects with (any other outcome fails the test). */
export async function rejection(p: Promise<unknown>): Promise<AgentError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AgentError) return err;
    throw err;
  }
  throw new Error('expected the promise to reject with an AgentError');
}

/** A read of the group as records by tag name. */
export async function readRecords(driver: Driver, group: Group): Promise<ReturnType<typeof toRecords>> {
  return toRecords(group.tags, await driver.readGroup(group));
}
