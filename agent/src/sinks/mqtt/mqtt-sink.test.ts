import { afterEach, describe, expect, it } from 'vitest';
import { SinkSchema } from '@edgefleet/protocol';
import { FakeFleet, sampleOf, sinkContext, waitFor } from '../../test-support/fixtures.js';
import { neuronTagsJson, neuronValuesJson } from '../format/neuron-json.js';
import type { Sink } from '../sink.js';
import { createMqttSink } from './mqtt-sink.js';

const sample = sampleOf('plc1', 'fast', 1_700_000_000_000, { temp: 21.5, run: true }, { broken: 3027 });
const agent = '00000000-0000-4000-8000-000000000001';
let running: Sink | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function sink(settings: object = {}, extra: object = {}) {
  const config = SinkSchema.parse({ name: 'up', kind: 'mqtt', settings, subscriptions: [], ...extra });
  if (config.kind !== 'mqtt') throw new Error('fixture');
  const fleet = new FakeFleet();
  const s = createMqttSink(config, sinkContext(fleet));
  running = s;
  return { sink: s, fleet };
}

describe('MQTT sink on the fleet broker', () => {
  it('publishes with the configured topic, qos and retain', async () => {
    const { sink: s, fleet } = sink({ topic: 'ef/v1/{agent}/data/{device}', qos: 1, retain: true, format: 'tags' });
    await s.start();
    s.publish(sample);
    await waitFor(() => fleet.messages.length === 1);
    expect(fleet.messages).toEqual([{ topic: `ef/v1/${agent}/data/plc1`, payload: neuronTagsJson(sample), qos: 1, retain: true }]);
    expect(s.stats()).toMatchObject({ published: 1, dropped: 0, bufferDepth: 0, link: 'connected' });
  });

  it('keeps what it cannot send in its buffer and sends it, in order, once the fleet connection is back', async () => {
    const { sink: s, fleet } = sink();
    await s.start();
    fleet.connected = false;
    const samples = [1, 2, 3].map((n) => sampleOf('plc1', 'fast', n, { temp: n }));
    for (const x of samples) s.publish(x);
    expect(s.stats()).toMatchObject({ published: 0, link: 'disconnected' });
    await waitFor(() => s.stats().bufferDepth === 3, 5000, 'three buffered');
    fleet.connected = true;
    await waitFor(() => fleet.messages.length === 3, 5000, 'the backlog drained');
    expect(fleet.messages.map((m) => m.payload)).toEqual(samples.map((x) => neuronValuesJson(x)));
    expect(s.stats()).toMatchObject({ published: 3, bufferDepth: 0, dropped: 0 });
  });

  it('drains a backlog kept with interval durability without waiting for its fsyncs', async () => {
    const { sink: s, fleet } = sink({}, { buffer: { durability: 'interval', syncIntervalMs: 1_000 } });
    await s.start();
    fleet.connected = false;
    for (let n = 1; n <= 300; n++) s.publish(sampleOf('plc1', 'fast', n, { temp: n }));
    await waitFor(() => s.stats().bufferDepth === 300, 5000, 'three hundred buffered');
    fleet.connected = true;
    // Three windows of 100: waiting for an fsync before each took at least two sync intervals (2 s).
    await waitFor(() => fleet.messages.length === 300, 1500, 'the backlog drained');
    expect(fleet.messages.map((m) => JSON.parse(m.payload).timestamp)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  }, 15_000);

  it('reports by exception: only tags that moved beyond their deadband', async () => {
    const { sink: s, fleet } = sink({}, { report: { mode: 'on-change' } });
    await s.start();
    const group = { name: 'g', intervalMs: 1000, tags: [{ name: 'a', address: 'counter', type: 'float64' as const, access: 'r' as const, deadbandAbs: 1 }, { name: 'b', address: 'counter', type: 'float64' as const, access: 'r' as const }] };
    s.publish(sampleOf('d', group, 1, { a: 10, b: 1 }));
    s.publish(sampleOf('d', group, 2, { a: 10.5, b: 1 }));
    s.publish(sampleOf('d', group, 3, { a: 11.5, b: 1 }));
    s.publish(sampleOf('d', group, 4, { a: 11.5, b: 2 }));
    await waitFor(() => fleet.messages.length === 3, 5000, 'three changes');
    expect(fleet.messages.map((m) => JSON.parse(m.payload).values)).toEqual([{ a: 10, b: 1 }, { a: 11.5 }, { b: 2 }]);
  });

  it('formats a custom template', async () => {
    const { sink: s, fleet } = sink({ format: 'custom', template: '{"ts":{timestamp},"src":"{agent}/{device}/{group}","v":{values},"e":{errors}}' });
    await s.start();
    s.publish(sample);
    await waitFor(() => fleet.messages.length === 1);
    expect(JSON.parse(fleet.messages[0]!.payload)).toEqual({ ts: sample.timestamp, src: `${agent}/plc1/fast`, v: { temp: 21.5, run: true }, e: { broken: 3027 } });
  });
});
