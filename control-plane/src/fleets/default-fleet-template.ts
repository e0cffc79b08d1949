import { AgentConfigSchema, type AgentConfig, type AgentConfigInput } from '@edgefleet/protocol';

export const DEFAULT_FLEET_NAME = 'default';

/**
 * What a box enrolled into the default fleet runs first: a simulated device with a fast and a
 * slow group, published on the fleet broker. Enough to see values flow with no machine attached.
 */
const DEFAULT_TEMPLATE: AgentConfigInput = {
  devices: [
    {
      name: 'sim',
      driver: 'simulator',
      settings: {},
      groups: [
        {
          name: 'fast',
          intervalMs: 1000,
          tags: [
            { name: 'temperature', address: 'sine(amplitude=5, period=60000, offset=20)', type: 'float64', unit: '°C' },
            { name: 'counter', address: 'counter', type: 'uint32' },
          ],
        },
        {
          name: 'slow',
          intervalMs: 5000,
          tags: [{ name: 'setpoint', address: 'memory(initial=21.5)', type: 'float64', access: 'rw', unit: '°C' }],
        },
      ],
    },
  ],
  northbound: [
    {
      name: 'fleet',
      kind: 'mqtt',
      subscriptions: [
        { device: 'sim', group: 'fast' },
        { device: 'sim', group: 'slow' },
      ],
    },
  ],
};

/** The normalized (defaults applied) default template. */
export function defaultFleetTemplate(): AgentConfig {
  return AgentConfigSchema.parse(DEFAULT_TEMPLATE);
}
