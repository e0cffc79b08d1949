import { z } from 'zod';
import { DeviceSchema } from './device.js';
import { SinkSchema } from './northbound.js';
import { checkSimulatorTag, parseSimulatorAddress } from './simulator.js';

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
      const groups = new Set<string>();
      deviceIndex.set(device.name, groups);
      device.groups.forEach((group, g) => {
        if (groups.has(group.name)) {
          ctx.addIssue({ code: 'custom', path: ['devices', d, 'groups', g, 'name'], message: `duplicate group name '${group.name}' in device '${device.name}'` });
        }
        groups.add(group.name);
        const tags = new Set<string>();
        group.tags.forEach((tag, t) => {
          const at = ['devices', d, 'groups', g, 'tags', t];
          if (tags.has(tag.name)) {
            ctx.addIssue({ code: 'custom', path: [...at, 'name'], message: `duplicate tag name '${tag.name}' in group '${group.name}'` });
          }
          tags.add(tag.name);
          if (device.driver === 'simulator') {
            const parsed = parseSimulatorAddress(tag.address);
            if (!parsed.ok) {
              ctx.addIssue({ code: 'custom', path: [...at, 'address'], message: parsed.message });
            } else {
              const problem = checkSimulatorTag(parsed.value, tag.type, tag.access);
              if (problem) ctx.addIssue({ code: 'custom', path: [...at, tag.access === 'rw' ? 'access' : 'type'], message: problem });
            }
          }
        });
      });
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
