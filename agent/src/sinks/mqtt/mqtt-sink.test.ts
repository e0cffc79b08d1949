import { describe, expect, it } from 'vitest';
import { SinkSchema } from '@edgefleet/protocol';
import { FakeFleet, sampleOf } from '../../test-support/fixtures.js';
import { neuronTagsJson } from '../format/neuron-json.js';
import { MqttSink } from './mqtt-sink.js';

const sample = sampleOf('plc1', 'fast', 1_700_000_000_000, { temp: 21.5, run: true }, { broken: 3027 });
const agent = '00000000-0000-4000-8000-000000000001';

function sink(settings: object = {}) {
  const config = SinkSchema.parse({ name: 'up', kind: 'mqtt', settings, subscriptions: [] });
  if (config.kind !== 'mqtt') throw new Error('fixture');
  const fleet = new FakeFleet();
  return { sink: new MqttSink(config, { agentId: agent, fleet }), fleet };
}

describe('MqttSink', () => {
  it('publishes with the configured topic, qos and retain', async () => {
    const { sink: s, fleet } = sink({ topic: 'ef/v1/{agent}/data/{device}', qos: 1, retain: true, format: 'tags' });
    await s.start();
    s.publish(sample);
    await new Promise((r) => setImmediate(r));
    expect(fleet.messages).toEqual([{ topic: `ef/v1/${agent}/data/plc1`, payload: neuronTagsJson(sample), qos: 1, retain: true }]);
    expect(s.stats()).toMatchObject({ published: 1, dropped: 0, link: 'connected' });
  });

  it('counts drops while the fleet connection is down', async () => {
    const { sink: s, fleet } = sink();
    await s.start();
    fleet.connected = false;
    s.publish(sample);
    s.publish(sample);
    expect(fleet.messages).toHaveLength(0);
    expect(s.stats()).toMatchObject({ published: 0, dropped: 2, link: 'disconnected' });
  });
});
