import { z } from 'zod';
import { DeviceSchema } from './device.js';
import { SinkSchema } from './northbound.js';
import { checkSimulatorTag, parseSimulatorAddress } from './simulator.js';
import { checkModbusTag, parseModbusAddress } from './modbus.js';
import { parseOpcUaNodeId } from './opcua.js';
import type { Device } from './device.js';
import type { Group, Tag } from './tag.js';

type Issue = { path: (string | number)[]; message: string };

/**
 * Driver-specific checks of one tag (its address syntax, and whether its type and access fit
 * it), as issues relative to the tag. Shared by the config schema and by commands that carry a
 * device of their own (test-connection).
 */
export function checkTagForDriver(device: Device, tag: Tag): Issue[] {
  switch (device.driver) {
    case 'simulator': {
      const parsed = parseSimulatorAddress(tag.address);
      if (!parsed.ok) return [{ path: ['address'], message: parsed.message }];
      const problem = checkSimulatorTag(parsed.value, tag.type, tag.access);
      return problem ? [{ path: [tag.access === 'rw' ? 'access' : 'type'], message: problem }] : [];
    }
    case 'modbus-tcp':
    case 'modbus-rtu':
    case 'modbus-rtu-over-tcp': {
      const parsed = parseModbusAddress(tag.address);
      if (!parsed.ok) return [{ path: ['address'], message: `tag '${tag.name}': ${parsed.message}` }];
      const problem = checkModbusTag(parsed.value, tag.type, tag.access, device.settings.addressBase);
      return problem ? [{ path: ['address'], message: `tag '${tag.name}' (${tag.address}, ${tag.type}${tag.access === 'rw' ? ', rw' : ''}): ${problem}` }] : [];
    }
    case 'opcua': {
      const parsed = parseOpcUaNodeId(tag.address);
      return parsed.ok ? [] : [{ path: ['address'], message: `tag '${tag.name}': ${parsed.message}` }];
    }
  }
}

/** Driver-specific checks of a group, relative to the group. */
export function checkGroupForDriver(device: Device, group: Group): Issue[] {
  if (group.acquisition === 'subscribe' && device.driver !== 'opcua') {
    return [{ path: ['acquisition'], message: `'subscribe' needs an OPC UA device; a ${device.driver} device is polled` }];
  }
  return [];
}

/**
 * Everything checked within one device, as issues relative to the device: unique group names,
 * unique tag names per group, and the driver's group and tag checks. Shared by the config
 * document and by commands that carry a device of their own (test-connection, browse).
 */
export function checkDevice(device: Device): Issue[] {
  const issues: Issue[] = [];
  const groups = new Set<string>();
  device.groups.forEach((group, g) => {
    if (groups.has(group.name)) issues.push({ path: ['groups', g, 'name'], message: `duplicate group name '${group.name}' in device '${device.name}'` });
    groups.add(group.name);
    for (const issue of checkGroupForDriver(device, group)) issues.push({ path: ['groups', g, ...issue.path], message: issue.message });
    const tags = new Set<string>();
    group.tags.forEach((tag, t) => {
      if (tags.has(tag.name)) issues.push({ path: ['groups', g, 'tags', t, 'name'], message: `duplicate tag name '${tag.name}' in group '${group.name}'` });
      tags.add(tag.name);
      for (const issue of checkTagForDriver(device, tag)) issues.push({ path: ['groups', g, 'tags', t, ...issue.path], message: issue.message });
    });
  });
  return issues;
}

/** Agent-wide runtime settings. */
export const AgentRuntimeSettingsSchema = z
  .object({
    heartbeatIntervalMs: z.number().int().min(1000).max(3_600_000).default(10_000),
    logLevel: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  })
  .strict();

export const CONFIG_SCHEMA_VERSION = 1;

/**
 * The agent config document: what one edge box runs. Validated identically by the control plane
 * (before storing a revision) and by the agent (before applying one).
 */
export const AgentConfigSchema = z
  .object({
    schemaVersion: z.literal(CONFIG_SCHEMA_VERSION).default(CONFIG_SCHEMA_VERSION),
    agent: AgentRuntimeSettingsSchema.default({ heartbeatIntervalMs: 10_000, logLevel: 'info' }),
    devices: z.array(DeviceSchema).max(10_000).default([]),
    northbound: z.array(SinkSchema).max(1_000).default([]),
  })
  .strict()
  .superRefine((doc, ctx) => {
    const deviceIndex = new Map<string, Set<string>>();
    doc.devices.forEach((device, d) => {
      if (deviceIndex.has(device.name)) {
        ctx.addIssue({ code: 'custom', path: ['devices', d, 'name'], message: `duplicate device name '${device.name}'` });
      }
      deviceIndex.set(device.name, new Set(device.groups.map((g) => g.name)));
      for (const issue of checkDevice(device)) ctx.addIssue({ code: 'custom', path: ['devices', d, ...issue.path], message: issue.message });
    });
    const sinkNames = new Set<string>();
    doc.northbound.forEach((sink, s) => {
      if (sinkNames.has(sink.name)) {
        ctx.addIssue({ code: 'custom', path: ['northbound', s, 'name'], message: `duplicate sink name '${sink.name}'` });
      }
      sinkNames.add(sink.name);
      sink.subscriptions.forEach((sub, i) => {
        const groups = deviceIndex.get(sub.device);
        if (!groups) {
          ctx.addIssue({ code: 'custom', path: ['northbound', s, 'subscriptions', i, 'device'], message: `no device named '${sub.device}'` });
        } else if (!groups.has(sub.group)) {
          ctx.addIssue({ code: 'custom', path: ['northbound', s, 'subscriptions', i, 'group'], message: `device '${sub.device}' has no group named '${sub.group}'` });
        }
      });
    });
  });

/** The document after defaults are applied: what agents run. */
export type AgentConfig = z.output<typeof AgentConfigSchema>;
/** The document as written by a person or API client (defaults may be omitted). */
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

/** An empty but valid config: a freshly enrolled agent with nothing to do. */
export function emptyAgentConfig(): AgentConfig {
  return AgentConfigSchema.parse({});
}
