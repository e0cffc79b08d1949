import { z } from 'zod';
import { AgentViewSchema, type AgentConfigInput } from '@edgefleet/protocol';

/** Shapes of REST answers the tests read (the DTOs themselves live in protocol/). */
export const FleetListSchema = z.array(z.object({ id: z.string(), name: z.string() }).passthrough());
export const AgentListSchema = z.object({ items: z.array(AgentViewSchema), total: z.number().optional() });
export const ValuesSchema = z.object({
  agentId: z.string().optional(),
  groups: z.array(z.object({ device: z.string(), group: z.string(), timestamp: z.number(), values: z.record(z.string(), z.unknown()), errors: z.record(z.string(), z.number()) })),
});

export interface SimulatorConfigOptions {
  /** Interval of the `fast` group (default 200 ms). */
  fastMs?: number;
  /** Adds a `humidity` tag (random 30–60) to the fast group. */
  extraTag?: boolean;
  /**
   * Adds a Sparkplug B sink `cloud` whose TLS client certificate and key are PEM-shaped (so the
   * config validates) but cannot be loaded: the agent refuses to apply it with
   * CONFIG_APPLY_FAILED (for tests of a failed apply).
   */
  unusableSink?: boolean;
  /** The `slow` group with a writable `setpoint` (default true). */
  slowGroup?: boolean;
  /** An MQTT sink `fleet` publishing the fast group (default true). */
  sink?: boolean;
}

/** A PEM block the schema accepts but whose content is no certificate or key at all. */
const UNUSABLE_PEM = (label: string): string => `-----BEGIN ${label}-----\nbm90IGEga2V5\n-----END ${label}-----\n`;

/** A config document for the simulator device `sim`, in the variations the tests need. */
export function simulatorConfig(opts: SimulatorConfigOptions = {}): AgentConfigInput {
  return {
    devices: [
      {
        name: 'sim',
        driver: 'simulator',
        settings: {},
        groups: [
          {
            name: 'fast',
            intervalMs: opts.fastMs ?? 200,
            tags: [
              { name: 'temperature', address: 'sine(amplitude=5, period=10000, offset=20)', type: 'float64' },
              { name: 'count', address: 'counter', type: 'uint32' },
              ...(opts.extraTag ? [{ name: 'humidity', address: 'random(min=30, max=60)', type: 'float32' as const }] : []),
            ],
          },
          ...(opts.slowGroup === false ? [] : [{ name: 'slow', intervalMs: 1000, tags: [{ name: 'setpoint', address: 'memory(initial=21.5)', type: 'float64' as const, access: 'rw' as const }] }]),
        ],
      },
    ],
    northbound: [
      ...(opts.sink === false ? [] : [{ name: 'fleet', kind: 'mqtt' as const, subscriptions: [{ device: 'sim', group: 'fast' }] }]),
      ...(opts.unusableSink ? [{ name: 'cloud', kind: 'sparkplug-b' as const, settings: { broker: { url: 'mqtts://127.0.0.1:1', tls: { cert: UNUSABLE_PEM('CERTIFICATE'), key: UNUSABLE_PEM('PRIVATE KEY') } }, groupId: 'plant' }, subscriptions: [{ device: 'sim', group: 'fast' }] }] : []),
    ],
  };
}
