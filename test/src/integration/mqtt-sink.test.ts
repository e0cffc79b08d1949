/**
 * The MQTT sink on a broker of the user's: the real Debian Mosquitto with a password file, and
 * an in-process aedes (the embedded broker's library). Values arrive in Neuron's shape; wrong
 * credentials show as the sink's error; a broker that goes away for a while loses nothing: the
 * sink keeps what it cannot send in its durable buffer and drains it, in order, once the broker
 * is back on the same port.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SinkSchema } from '@edgefleet/protocol';
import { FakeFleet, sampleOf, sinkContext } from '../../../agent/src/test-support/fixtures.js';
import { createMqttSink } from '../../../agent/src/sinks/mqtt/mqtt-sink.js';
import type { Sink } from '../../../agent/src/sinks/sink.js';
import type { WriteHandler, WriteRequest } from '../../../agent/src/sinks/transport/transport.js';
import { eventually } from '../support/eventually.js';
import { startUserAedes, startUserMosquitto, type UserBroker } from '../support/user-brokers.js';

/** A consumer that keeps every payload of a topic filter, in arrival order. */
async function consumer(url: string, filter: string, auth: { username?: string; password?: string } = {}): Promise<{ client: MqttClient; got: Array<{ topic: string; payload: Record<string, unknown> }> }> {
  const got: Array<{ topic: string; payload: Record<string, unknown> }> = [];
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, ...auth });
  client.on('message', (topic, payload) => got.push({ topic, payload: JSON.parse(payload.toString()) as Record<string, unknown> }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, got };
}

const sinks: Sink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
});

function mqttSink(settings: object, writes?: WriteHandler): Sink {
  const config = SinkSchema.parse({ name: 'plant', kind: 'mqtt', settings, subscriptions: [] });
  if (config.kind !== 'mqtt') throw new Error('fixture');
  const sink = createMqttSink(config, { ...sinkContext(new FakeFleet()), ...(writes ? { writes } : {}) });
  sinks.push(sink);
  return sink;
}

describe.each([
  ['Mosquitto', () => startUserMosquitto({ login: { username: 'plant', password: 's3cret' } })],
  ['the embedded broker (aedes)', startUserAedes],
] as const)('MQTT sink against %s', (_name, startBroker) => {
  let broker: UserBroker;
  let auth: UserBroker['auth'];
  beforeAll(async () => {
    broker = await startBroker();
    auth = broker.auth;
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('publishes Neuron values on the topic template', async () => {
    const { client, got } = await consumer(broker.url, 'plant/#', auth);
    try {
      const sink = mqttSink({ broker: { url: broker.url, ...auth }, topic: 'plant/{device}/{group}', qos: 1 });
      await sink.start();
      await eventually(async () => sink.link() === 'connected', 'the sink to connect', 10_000);
      sink.publish(sampleOf('press', 'fast', 42, { temp: 21.5 }, { door: 3022 }));
      await eventually(async () => got.length === 1, 'the value to arrive', 10_000);
      expect(got[0]).toEqual({ topic: 'plant/press/fast', payload: { timestamp: 42, node: 'press', group: 'fast', values: { temp: 21.5 }, errors: { door: 3022 }, metas: {} } });
      await expect.poll(() => sink.stats(), { timeout: 5_000 }).toMatchObject({ published: 1, errors: 0, bufferDepth: 0, lastError: null });
    } finally {
      await client.endAsync();
    }
  });

  it('carries out Neuron-shaped writes and answers them on the response topic', async () => {
    const { client, got } = await consumer(broker.url, 'plant/write/resp', auth);
    try {
      const seen: WriteRequest[] = [];
      const sink = mqttSink({ broker: { url: broker.url, ...auth }, writeTopic: 'plant/write/req', writeResponseTopic: 'plant/write/resp' }, async (request) => {
        seen.push(request);
        return request.tag === 'locked' ? { ok: false, error: { code: 'TAG_NOT_WRITABLE', message: "tag 'locked' is read-only" } } : { ok: true };
      });
      await sink.start();
      await eventually(async () => sink.link() === 'connected', 'the sink to connect', 10_000);
      // The sink subscribes once connected; until its SUBACK a request goes nowhere: ask until answered.
      await eventually(
        async () => {
          if (got.length === 0) await client.publishAsync('plant/write/req', JSON.stringify({ uuid: 'u1', node: 'press', group: 'slow', tag: 'setpoint', value: 23.5 }), { qos: 1 });
          return got.length > 0;
        },
        'the first write answered',
        10_000,
        300,
      );
      seen.splice(1);
      got.splice(1);
      await client.publishAsync('plant/write/req', JSON.stringify({ uuid: 'u2', node: 'press', group: 'slow', tags: [{ tag: 'a', value: 1 }, { tag: 'locked', value: 2 }] }), { qos: 1 });
      await client.publishAsync('plant/write/req', 'not json', { qos: 1 });
      await eventually(async () => got.length === 2, 'two answers', 10_000);
      expect(seen).toEqual([
        { device: 'press', group: 'slow', tag: 'setpoint', value: 23.5 },
        { device: 'press', group: 'slow', tag: 'a', value: 1 },
        { device: 'press', group: 'slow', tag: 'locked', value: 2 },
      ]);
      expect(got[0]!.payload).toEqual({ uuid: 'u1', error: 0 });
      expect(got[1]!.payload).toMatchObject({ uuid: 'u2', error: 3004 });
      expect(sink.link()).toBe('connected');
    } finally {
      await client.endAsync();
    }
  });

  it('loses nothing while the broker is away: buffered on disk, drained in order after it returns', async () => {
    const { client, got } = await consumer(broker.url, 'outage/#', auth);
    try {
      const sink = mqttSink({ broker: { url: broker.url, ...auth, keepaliveSec: 5 }, topic: 'outage/{device}', qos: 1 });
      await sink.start();
      await eventually(async () => sink.link() === 'connected', 'the sink to connect', 10_000);
      let n = 0;
      const publish = () => sink.publish(sampleOf('line', 'g', ++n, { n }));
      for (let i = 0; i < 20; i++) publish();
      await eventually(async () => got.length === 20, 'the first values', 10_000);
      await broker.stop();
      await eventually(async () => sink.link() !== 'connected', 'the sink to see the broker gone', 10_000);
      for (let i = 0; i < 200; i++) publish();
      await eventually(async () => sink.stats().bufferDepth === 200, 'the outage values in the buffer', 10_000);
      await broker.start();
      for (let i = 0; i < 20; i++) publish();
      await eventually(async () => got.length >= 240, 'every value after the broker returned', 30_000);
      const seen = got.map((m) => (m.payload.values as { n: number }).n);
      expect(seen).toEqual(Array.from({ length: 240 }, (_, i) => i + 1));
      // The consumer can see a message before the sink has its PUBACK, which is when the sink counts it.
      await expect.poll(() => sink.stats(), { timeout: 10_000 }).toMatchObject({ bufferDepth: 0, dropped: 0, published: 240 });
    } finally {
      await client.endAsync();
    }
  }, 60_000);
});

describe('MQTT sink credentials', () => {
  it('shows a refused login as the sink error, without the password', async () => {
    const broker = await startUserMosquitto({ login: { username: 'plant', password: 's3cret' } });
    try {
      const sink = mqttSink({ broker: { url: broker.url, username: 'plant', password: 'wrong-password' } });
      await sink.start();
      await eventually(async () => sink.stats().lastError !== null && sink.link() !== 'connected' && sink.link() !== 'connecting', 'the refusal to show', 10_000);
      const error = sink.stats().lastError ?? '';
      expect(error).toMatch(/not authorized|bad user name or password/i);
      expect(error).not.toContain('wrong-password');
    } finally {
      await broker.close();
    }
  });
});
