import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentConfigSchema, configDigest, type AgentConfig, type AgentConfigInput, type Device, type Group, type GroupValues, type TagValue } from '@edgefleet/protocol';
import { createLogger } from '../log.js';
import { ApplyEngine } from '../config/apply-engine.js';
import { DriverRegistry } from '../drivers/registry.js';
import { SimulatorDriver } from '../drivers/simulator/simulator-driver.js';
import { defaultSinkRegistry, type SinkRegistry } from '../sinks/registry.js';
import type { FleetPublisher, SinkContext } from '../sinks/sink.js';
import { BufferPool } from '../sinks/buffer/buffer-pool.js';
import { toGroupValues, type GroupSample } from '../runtime/group-sample.js';
import type { GroupRead } from '../drivers/driver.js';

export const silentLog = createLogger('silent');

export function config(input: AgentConfigInput): AgentConfig {
  return AgentConfigSchema.parse(input);
}

export function configMessage(revision: number, document: unknown, sha256 = configDigest(document)): string {
  return JSON.stringify({ revision, sha256, document, issuedAt: new Date().toISOString() });
}

/** A simulator driver that counts its starts and stops, to prove which devices were restarted. */
export class CountingSimulator extends SimulatorDriver {
  starts = 0;
  stops = 0;
  override async start(): Promise<void> {
    this.starts++;
    await super.start();
  }
  override async stop(): Promise<void> {
    this.stops++;
    await super.stop();
  }
}

export class FakeFleet implements FleetPublisher {
  private up = true;
  private readonly listeners = new Set<(connected: boolean) => void>();
  readonly messages: Array<{ topic: string; payload: string; qos: 0 | 1; retain: boolean }> = [];
  get connected(): boolean {
    return this.up;
  }
  set connected(up: boolean) {
    this.up = up;
    for (const l of this.listeners) l(up);
  }
  isConnected(): boolean {
    return this.up;
  }
  async publish(topic: string, payload: string | Buffer, options: { qos: 0 | 1; retain: boolean }): Promise<void> {
    if (!this.up) throw new Error('not connected to the fleet broker');
    this.messages.push({ topic, payload: payload.toString(), ...options });
  }
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** What a sink needs from the agent, over a fake fleet connection and buffers in a temp dir. */
export function sinkContext(fleet: FleetPublisher = new FakeFleet(), stateDir = mkdtempSync(path.join(os.tmpdir(), 'ef-sink-'))): SinkContext {
  return { agentId: '00000000-0000-4000-8000-000000000001', fleet, log: silentLog, buffers: new BufferPool(path.join(stateDir, 'buffers')), stateDir };
}

export class FailingSimulator extends CountingSimulator {
  override async start(): Promise<void> {
    this.starts++;
    throw new Error('port is busy');
  }
}

/** An engine over counting simulators; devices named in `failOpen` fail to start. */
export function testEngine(failOpen: ReadonlySet<string> = new Set(), sinks: SinkRegistry = defaultSinkRegistry()) {
  const created: CountingSimulator[] = [];
  const drivers = new DriverRegistry().register('simulator', (device: Device) => {
    if (device.driver !== 'simulator') throw new Error('unexpected driver');
    const d = failOpen.has(device.name) ? new FailingSimulator(device) : new CountingSimulator(device);
    created.push(d);
    return d;
  });
  const fleet = new FakeFleet();
  const values: GroupValues[] = [];
  const engine = new ApplyEngine({
    drivers,
    sinks,
    sinkContext: sinkContext(fleet),
    driverContext: { stateDir: os.tmpdir(), log: silentLog },
    log: silentLog,
    // Samples are valid only during the call: keep a copy in the wire shape.
    onValues: (sample) => values.push(toGroupValues(sample)),
  });
  return { engine, created, fleet, values, drivers };
}

export const simDevice = (name: string, address = 'counter', intervalMs = 20) => ({
  name,
  driver: 'simulator' as const,
  groups: [{ name: 'g', intervalMs, tags: [{ name: 't', address, type: 'float64' as const }] }],
});

export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A read (or a sample's arrays) from records keyed by tag name, for tests written in names. */
export function positional(tags: readonly { name: string }[], values: Record<string, TagValue>, errors: Record<string, number> = {}): GroupRead {
  const read: GroupRead = { values: new Array<TagValue | undefined>(tags.length), errors: new Map() };
  tags.forEach((t, i) => {
    if (Object.hasOwn(values, t.name)) read.values[i] = values[t.name];
    if (Object.hasOwn(errors, t.name)) read.errors.set(i, errors[t.name]!);
  });
  return read;
}

/** A sample of a group given by name and tag names, from records keyed by tag name. */
export function sampleOf(device: string, group: string | Group, timestamp: number, values: Record<string, TagValue>, errors: Record<string, number> = {}): GroupSample {
  const g: Group = typeof group === 'string' ? { name: group, intervalMs: 1000, tags: [...new Set([...Object.keys(values), ...Object.keys(errors)])].map((name) => ({ name, address: 'counter', type: 'float64', access: 'r' })) } : group;
  return { device, group: g, timestamp, ...positional(g.tags, values, errors) };
}
