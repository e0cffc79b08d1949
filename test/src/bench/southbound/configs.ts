import type { AgentConfigInput, DeviceInput } from '@edgefleet/protocol';

/** Neuron address of holding register `offset` (0-based) of slave 1, with the default address base 1. */
export function holdingAddress(offset: number, slave = 1): string {
  return `${slave}!4${String(offset + 1).padStart(5, '0')}`;
}

/**
 * A Modbus TCP device with one group of `tags` uint16 tags on consecutive holding registers
 * from 0: every tag is one register, so tags/s = registers/s, and the driver may coalesce them
 * into 125-register reads.
 */
export function modbusDevice(opts: { name: string; port: number; tags: number; intervalMs: number; group?: string }): DeviceInput {
  return {
    name: opts.name,
    driver: 'modbus-tcp',
    settings: { host: '127.0.0.1', port: opts.port, timeoutMs: 3000 },
    groups: [
      {
        name: opts.group ?? 'all',
        intervalMs: opts.intervalMs,
        tags: Array.from({ length: opts.tags }, (_, i) => ({ name: `r${i}`, address: holdingAddress(i), type: 'uint16' as const })),
      },
    ],
  };
}

/** The same shape on the simulator driver: the agent's whole path (runner, scaling, sink, MQTT) minus Modbus I/O. */
export function simulatorDevice(opts: { name: string; tags: number; intervalMs: number }): DeviceInput {
  return {
    name: opts.name,
    driver: 'simulator',
    groups: [
      {
        name: 'all',
        intervalMs: opts.intervalMs,
        tags: Array.from({ length: opts.tags }, (_, i) => ({ name: `r${i}`, address: 'counter', type: 'uint16' as const })),
      },
    ],
  };
}

/** The OPC UA device: `variables` monitored items `ns=1;s=v<i>` in one subscribed group. */
export function opcuaDevice(opts: { name: string; endpointUrl: string; variables: number; intervalMs: number }): DeviceInput {
  return {
    name: opts.name,
    driver: 'opcua',
    settings: { endpointUrl: opts.endpointUrl },
    groups: [
      {
        name: 'all',
        intervalMs: opts.intervalMs,
        acquisition: 'subscribe',
        tags: Array.from({ length: opts.variables }, (_, i) => ({ name: `v${i}`, address: `ns=1;s=v${i}`, type: 'float64' as const })),
      },
    ],
  };
}

/** An agent config: the devices, and one MQTT sink (fleet broker) subscribed to every group. */
export function agentConfig(devices: DeviceInput[]): AgentConfigInput {
  return {
    agent: { heartbeatIntervalMs: 5000, logLevel: 'info' },
    devices,
    northbound: [
      {
        name: 'up',
        kind: 'mqtt',
        subscriptions: devices.flatMap((d) => (d.groups ?? []).map((g) => ({ device: d.name, group: g.name }))),
      },
    ],
  };
}
