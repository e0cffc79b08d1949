import { describe, expect, it } from 'vitest';
import { NeuronTagsPayloadSchema, NeuronValuesPayloadSchema, SinkSchema, type GroupValues } from '@edgefleet/protocol';
import { FakeFleet } from '../../test-support/fixtures.js';
import { formatPayload, renderTopic } from './format.js';
import { MqttSink } from './mqtt-sink.js';

const gv: GroupValues = { device: 'plc1', group: 'fast', timestamp: 1_700_000_000_000, values: { temp: 21.5, run: true }, errors: { broken: 3027 } };
const agent = '00000000-0000-4000-8000-000000000001';

function sink(settings: object = {}) {
  const config = SinkSchema.parse({ name: 'up', kind: 'mqtt', settings, subscriptions: [] });
  if (config.kind !== 'mqtt') throw new Error('fixture');
  const fleet = new FakeFleet();
  return { sink: new MqttSink(config, { agentId: agent, fleet }), fleet };
}

describe('MQTT sink payloads', () => {
  it('formats Neuron values', () => {
    const payload = JSON.parse(formatPayload('values', gv));
    expect(payload).toEqual({ timestamp: gv.timestamp, node: 'plc1', group: 'fast', values: gv.values, errors: gv.errors, metas: {} });
    expect(NeuronValuesPayloadSchema.safeParse(payload).success).toBe(true);
  });

  it('formats Neuron tags', () => {
    const payload = JSON.parse(formatPayload('tags', gv));
    expect(payload.tags).toEqual([{ name: 'temp', value: 21.5 }, { name: 'run', value: true }, { name: 'broken', error: 3027 }]);
    expect(NeuronTagsPayloadSchema.safeParse(payload).success).toBe(true);
  });

  it('renders every placeholder', () => {
    expect(renderTopic('ef/v1/{agent}/data/{sink}/{device}/{group}/{device}', { agent: 'A', sink: 'S', device: 'D', group: 'G' })).toBe('ef/v1/A/data/S/D/G/D');
  });
});

describe('MqttSink', () => {
  it('publishes with the configured topic, qos and retain', async () => {
    const { sink: s, fleet } = sink({ topic: 'ef/v1/{agent}/data/{device}', qos: 1, retain: true, format: 'tags' });
    await s.start();
    s.publish(gv);
    await new Promise((r) => setImmediate(r));
    expect(fleet.messages).toEqual([{ topic: `ef/v1/${agent}/data/plc1`, payload: formatPayload('tags', gv), qos: 1, retain: true }]);
    expect(s.stats()).toMatchObject({ published: 1, dropped: 0, link: 'connected' });
  });

  it('counts drops while the fleet connection is down', async () => {
    const { sink: s, fleet } = sink();
    await s.start();
    fleet.connected = false;
    s.publish(gv);
    s.publish(gv);
    expect(fleet.messages).toHaveLength(0);
    expect(s.stats()).toMatchObject({ published: 0, dropped: 2, link: 'disconnected' });
  });
});
