import { describe, expect, it } from 'vitest';
import { AgentConfigSchema } from '@edgefleet/protocol';
import { defaultFleetTemplate } from './default-fleet-template.js';

describe('default fleet template', () => {
  it('is a valid, normalized config with a simulator and a fleet sink', () => {
    const doc = defaultFleetTemplate();
    expect(AgentConfigSchema.parse(doc)).toEqual(doc);
    expect(doc.devices[0]?.groups.map((g) => [g.name, g.intervalMs])).toEqual([['fast', 1000], ['slow', 5000]]);
    expect(doc.northbound[0]?.kind).toBe('mqtt');
  });
});
