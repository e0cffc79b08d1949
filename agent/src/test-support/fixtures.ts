import os from 'node:os';
import { AgentConfigSchema, configDigest, type AgentConfig, type AgentConfigInput, type Device, type GroupValues } from '@edgefleet/protocol';
import { createLogger } from '../log.js';
import { ApplyEngine } from '../config/apply-engine.js';
import { DriverRegistry } from '../drivers/registry.js';
import { SimulatorDriver } from '../drivers/simulator/simulator-driver.js';
import { defaultSinkRegistry } from '../sinks/registry.js';
import type { FleetPublisher } from '../sinks/sink.js';

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
  connected = true;
  readonly messages: Array<{ topic: string; payload: string; qos: 0 | 1; retain: boolean }> = [];
  isConnected(): boolean {
    return this.connected;
  }
  async publish(topic: string, payload: string, options: { qos: 0 | 1; retain: boolean }): Promise<void> {
    this.messages.push({ topic, payload, ...options });
  }
}

export class FailingSimulator extends CountingSimulator {
  override async start(): Promise<void> {
    this.starts++;
    throw new Error('port is busy');
  }
}

/** An engine over counting simulators; devices named in `failOpen` fail to start. */
export function testEngine(failOpen: ReadonlySet<string> = new Set()) {
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
    sinks: defaultSinkRegistry(),
    sinkContext: { agentId: '00000000-0000-4000-8000-000000000001', fleet },
    driverContext: { stateDir: os.tmpdir(), log: silentLog },
    log: silentLog,
    onValues: (v) => values.push(v),
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
