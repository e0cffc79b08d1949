/**
 * The AWS IoT Core transport with the real aws-iot-device-sdk-v2 (MQTT 5 over the native CRT)
 * against a real Mosquitto 2.0 that plays the AWS IoT endpoint: mutual TLS with the thing's
 * certificate (CN = thing name as user name), an ACL for it, and a plain mqtt.js client as the
 * cloud side that sees what the thing publishes and sends it write requests.
 */
import type { MqttClient } from 'mqtt';
import { CertificateAuthority } from '../../../control-plane/src/pki/certificate-authority.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsIotSinkSettingsSchema, type AwsIotSinkSettings, type LinkState } from '@edgefleet/protocol';
import { createLogger } from '../../../agent/src/log.js';
import { AwsIotTransport, awsTopic } from '../../../agent/src/sinks/aws-iot/aws-iot-transport.js';
import type { WriteRequest, WriteOutcome } from '../../../agent/src/sinks/transport/transport.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/eventually.js';
import { startAwsIotPeer, THING, type AwsIotPeer, type CloudReceived } from '../peers/aws-iot-core/aws-iot-peer.js';

const AGENT = 'agent-7';
const SINK = 'aws';

type Received = CloudReceived;

describe('AWS IoT transport (aws-iot-device-sdk-v2, MQTT 5) on Mosquitto with mutual TLS', { timeout: 60_000 }, () => {
  let broker: AwsIotPeer;
  let ca: AwsIotPeer['ca'];
  let thing: AwsIotPeer['thing'];
  let observer: MqttClient;
  let received: Received[] = [];
  const transports: AwsIotTransport[] = [];
  const log = createLogger(process.env.TEST_LOG === '1' ? 'debug' : 'silent');

  const settings = (extra: Record<string, unknown> = {}): AwsIotSinkSettings =>
    AwsIotSinkSettingsSchema.parse({
      endpoint: 'localhost',
      port: broker.port,
      thingName: THING,
      certificate: thing.certPem,
      privateKey: thing.keyPem,
      ca: ca.certPem,
      ...extra,
    });

  /** Transports of the running test: stopped after it even when it fails, or a leftover with the same client id would take the connection over (MQTT-3.1.4-3). */
  let testTransports: AwsIotTransport[] = [];
  const open = (s: AwsIotSinkSettings, scope: 'test' | 'suite' = 'test') => {
    const transport = new AwsIotTransport(s, { agentId: AGENT, sinkName: SINK, log }, { minReconnectDelayMs: 200, maxReconnectDelayMs: 1_000, stopTimeoutMs: 3_000, ackTimeoutSeconds: 5 });
    transports.push(transport);
    if (scope === 'test') testTransports.push(transport);
    return transport;
  };
  const connected = (t: AwsIotTransport, what = 'the transport to connect') =>
    eventually(async () => t.link() === 'connected', `${what} (link ${t.link()}, last error ${t.lastError() ?? 'none'}); broker output:\n${broker.output()}`, 20_000, 50);
  const arrival = (topic: string, match: (r: Received) => boolean = () => true) =>
    eventually(async () => received.find((r) => r.topic === topic && match(r)), `a message on '${topic}'`, 10_000, 20);
  const subscribe = (filter: string) => broker.subscribe(filter);
  const publishAsCloud = (topic: string, payload: string) => broker.publishAsCloud(topic, payload);

  beforeAll(async () => {
    broker = await startAwsIotPeer();
    ({ ca, thing, observer, received } = broker);
    await subscribe('edgefleet/#');
    await subscribe('$aws/rules/#');
  });

  afterEach(async () => {
    await Promise.allSettled(testTransports.map((t) => t.stop()));
    testTransports = [];
  });

  afterAll(async () => {
    await Promise.allSettled(transports.map((t) => t.stop()));
    await broker?.close();
  });

  it('connects with the thing certificate and reports the link through its listener', async () => {
    const transport = open(settings());
    const links: LinkState[] = [];
    transport.onLinkChange((l) => links.push(l));
    transport.start();
    expect(transport.link()).toBe('connecting');
    await connected(transport);
    expect(transport.lastError()).toBeNull();
    expect(links[0]).toBe('connecting');
    expect(links.at(-1)).toBe('connected');
    // Mosquitto logs the CONNECT: MQTT 5 (p5), clean start (c1), client id = thing name, CN as user name.
    await eventually(async () => broker.output().includes(`as ${THING} (p5, c1, k60, u'${THING}')`), `the broker to log the thing's MQTT 5 CONNECT; its output:\n${broker.output()}`, 5_000, 20);
    await transport.stop();
    expect(transport.link()).toBe('disconnected');
    // A DISCONNECT packet, not a dropped socket ("closed its connection"): no last will.
    await eventually(async () => broker.output().includes(`Client ${THING} disconnected.`), `the broker to log a clean DISCONNECT; its output:\n${broker.output()}`, 5_000, 20);
  });

  it('publishes QoS 1 (resolved on PUBACK) and QoS 0 with the exact topic and payload', async () => {
    const qos1 = open(settings({ qos: 1 }));
    qos1.start();
    await connected(qos1);
    const payload1 = Buffer.from(JSON.stringify({ timestamp: 1, node: 'plc', group: 'fast', values: { speed: 12.5 }, errors: {}, metas: {} }));
    await qos1.send({ topic: 'edgefleet/agent-7/plc/fast', payload: payload1, seq: 1 });
    const got1 = await arrival('edgefleet/agent-7/plc/fast', (r) => r.payload.equals(payload1));
    expect(got1.qos).toBe(1);
    await qos1.stop();

    const qos0 = open(settings({ qos: 0 }));
    qos0.start();
    await connected(qos0);
    const payload0 = Buffer.from([0, 1, 2, 250, 255]);
    await qos0.send({ topic: 'edgefleet/agent-7/plc/slow', payload: payload0, seq: 2 });
    const got0 = await arrival('edgefleet/agent-7/plc/slow', (r) => r.payload.equals(payload0));
    expect(got0.qos).toBe(0);
    await qos0.stop();
  });

  it('rejects a send the broker refuses in its PUBACK, and says why', async () => {
    const transport = open(settings({ qos: 1 }));
    transport.start();
    await connected(transport);
    await expect(transport.send({ topic: 'forbidden/topic', payload: Buffer.from('x'), seq: 4 })).rejects.toThrow(/PUBACK NotAuthorized \(0x87\)/);
    expect(transport.lastError()).toMatch(/refused the publish to 'forbidden\/topic'/);
    // Usable afterwards: still connected, or connected again by itself. (Mosquitto sometimes hangs
    // up after a refused publish when the machine is busy, seen as AWS_ERROR_MQTT_UNEXPECTED_HANGUP;
    // AWS IoT Core may also disconnect a client over a policy violation.)
    await eventually(
      async () => {
        await transport.send({ topic: 'edgefleet/agent-7/plc/after-refusal', payload: Buffer.from('ok'), seq: 5 });
        return true;
      },
      `a send accepted after the refusal (link ${transport.link()})`,
      20_000,
      200,
    );
    expect((await arrival('edgefleet/agent-7/plc/after-refusal')).payload.toString()).toBe('ok');
  });

  it('reports a server it cannot trust as an error, without key material', async () => {
    const other = (await CertificateAuthority.create('Another CA', 1)).ca;
    const transport = open(settings({ ca: other.certPem }));
    const links: LinkState[] = [];
    transport.onLinkChange((l) => links.push(l));
    transport.start();
    // s2n (the CRT's TLS on Linux) delays reporting a failed handshake by 10–30 s ("blinding",
    // against timing side channels), so this takes a while.
    await eventually(async () => links.includes('error'), `the link to report an error (links ${links.join(', ')}, last error ${transport.lastError() ?? 'none'})`, 40_000, 50);
    expect(transport.lastError()).toMatch(/TLS/);
    expect(transport.lastError()).not.toContain('PRIVATE KEY');
    expect(transport.lastError()).not.toContain(thing.keyPem.split('\n')[1]);
  }, 60_000);

  it('publishes to the Basic Ingest topic the pipeline renders with awsTopic', async () => {
    const s = settings({ basicIngestRule: 'edgefleet_rule' });
    const transport = open(s);
    transport.start();
    await connected(transport);
    const topic = awsTopic(s, 'edgefleet/agent-7/plc/fast');
    expect(topic).toBe('$aws/rules/edgefleet_rule/edgefleet/agent-7/plc/fast');
    await transport.send({ topic, payload: Buffer.from('{"v":1}'), seq: 3 });
    const got = await arrival(topic);
    expect(got.payload.toString()).toBe('{"v":1}');
    await transport.stop();
  });

  describe('writes', () => {
    let transport: AwsIotTransport;
    const requests: WriteRequest[] = [];
    let outcome: (r: WriteRequest) => WriteOutcome = () => ({ ok: true });
    const writeTopic = `edgefleet/${AGENT}/${SINK}/write`;
    const responseTopic = `edgefleet/${AGENT}/${SINK}/write/response`;
    const response = async (uuid: string) => JSON.parse((await arrival(responseTopic, (r) => r.payload.toString().includes(`"${uuid}"`))).payload.toString()) as unknown;

    beforeAll(async () => {
      transport = open(settings({ writeTopic: 'edgefleet/{agent}/{sink}/write', writeResponseTopic: 'edgefleet/{agent}/{sink}/write/response' }), 'suite');
      transport.onWrite(async (r) => {
        requests.push(r);
        return outcome(r);
      });
      transport.start();
      await connected(transport);
      // The subscription follows the CONNACK: probe until a request is answered.
      await eventually(
        async () => {
          await publishAsCloud(writeTopic, JSON.stringify({ uuid: 'probe', node: 'plc', group: 'g', tag: 'probe', value: 0 }));
          await new Promise((r) => setTimeout(r, 200));
          return received.some((r) => r.topic === responseTopic);
        },
        'the write subscription to take effect',
        10_000,
        0,
      );
      requests.length = 0;
    });
    afterAll(async () => transport.stop());

    it('hands a one-tag request to the handler and answers error 0', async () => {
      await publishAsCloud(writeTopic, JSON.stringify({ uuid: 'w1', node: 'plc', group: 'fast', tag: 'setpoint', value: 42.5 }));
      expect(await response('w1')).toEqual({ uuid: 'w1', error: 0 });
      expect(requests).toContainEqual({ device: 'plc', group: 'fast', tag: 'setpoint', value: 42.5 });
    });

    it('hands every tag of a many-tags request to the handler, in order', async () => {
      requests.length = 0;
      await publishAsCloud(writeTopic, JSON.stringify({ uuid: 'w2', node: 'plc', group: 'fast', tags: [{ tag: 'a', value: true }, { tag: 'b', value: 'on' }] }));
      expect(await response('w2')).toEqual({ uuid: 'w2', error: 0 });
      expect(requests).toEqual([
        { device: 'plc', group: 'fast', tag: 'a', value: true },
        { device: 'plc', group: 'fast', tag: 'b', value: 'on' },
      ]);
    });

    it("answers a failing write with Neuron's number and the reason", async () => {
      outcome = () => ({ ok: false, error: { code: 'TAG_NOT_WRITABLE', message: 'the tag is read-only' } });
      try {
        await publishAsCloud(writeTopic, JSON.stringify({ uuid: 'w3', node: 'plc', group: 'fast', tag: 'speed', value: 1 }));
        expect(await response('w3')).toEqual({ uuid: 'w3', error: 3004, message: 'speed: the tag is read-only' });
      } finally {
        outcome = () => ({ ok: true });
      }
    });

    it('survives malformed requests, answering those with a uuid', async () => {
      requests.length = 0;
      await publishAsCloud(writeTopic, '{not json');
      await publishAsCloud(writeTopic, JSON.stringify({ node: 'plc', group: 'fast', tag: 'x', value: 1 }));
      await publishAsCloud(writeTopic, JSON.stringify({ uuid: 'w4', node: 'plc', tag: 'x', value: 1 }));
      expect(await response('w4')).toEqual({ uuid: 'w4', error: 1002, message: "'group' is missing" });
      expect(requests).toEqual([]);
      // Still up and still taking writes.
      expect(transport.link()).toBe('connected');
      await publishAsCloud(writeTopic, JSON.stringify({ uuid: 'w5', node: 'plc', group: 'fast', tag: 'ok', value: 2 }));
      expect(await response('w5')).toEqual({ uuid: 'w5', error: 0 });
    });
  });

  it('leaves connected when the broker goes, refuses sends, and reconnects by itself when it is back', async () => {
    const transport = open(settings({ qos: 1 }));
    const links: LinkState[] = [];
    transport.onLinkChange((l) => links.push(l));
    transport.start();
    await connected(transport);

    await broker.stop();
    await eventually(async () => transport.link() !== 'connected', 'the link to leave connected', 10_000, 20);
    expect(transport.lastError()).toBeTruthy();
    await expect(transport.send({ topic: 'edgefleet/agent-7/plc/down', payload: Buffer.from('lost'), seq: 10 })).rejects.toThrow(/not connected/);

    await broker.start();
    await connected(transport, 'the transport to reconnect by itself');
    expect(transport.lastError()).toBeNull();
    expect(links.filter((l) => l === 'connected').length).toBeGreaterThanOrEqual(2);
    // The observer reconnects too; wait until it is subscribed again before sending.
    await eventually(async () => observer.connected, 'the observer to reconnect', 10_000, 50);
    await subscribe('edgefleet/#');
    await transport.send({ topic: 'edgefleet/agent-7/plc/back', payload: Buffer.from('again'), seq: 11 });
    expect((await arrival('edgefleet/agent-7/plc/back')).payload.toString()).toBe('again');

    const started = Date.now();
    await transport.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(transport.link()).toBe('disconnected');
  });

  it('stops promptly while it cannot reach the broker', async () => {
    const transport = open(settings({ port: await freePort() }));
    transport.start();
    await eventually(async () => transport.lastError() !== null, 'a failed connection attempt', 10_000, 20);
    expect(transport.link()).not.toBe('connected');
    expect(transport.lastError()).not.toContain('PRIVATE KEY');
    const started = Date.now();
    await transport.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
