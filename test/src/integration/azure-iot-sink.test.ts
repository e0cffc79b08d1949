/**
 * The Azure IoT Hub transport of the northbound sinks against the local IoT Hub stand-in, which
 * checks SAS tokens, X.509 devices and topics as the service does, driven through the real Azure
 * device SDK the transport loads.
 */
import { randomBytes } from 'node:crypto';
import { AzureIotSinkSettingsSchema, SinkSchema, type AzureAuth, type LinkState } from '@edgefleet/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../agent/src/index.js';
import { AzureIotTransport } from '../../../agent/src/sinks/azure-iot/azure-iot-transport.js';
import { createAzureIotSink } from '../../../agent/src/sinks/azure-iot/azure-iot-sink.js';
import { sampleOf, sinkContext } from '../../../agent/src/test-support/fixtures.js';
import type { WriteHandler, WriteRequest } from '../../../agent/src/sinks/transport/transport.js';
import type { AgentStatusReport } from '../../../agent/src/sinks/sink.js';
import { createTestCa, issueDeviceCertificate, startIotHubPeer, type IotHubPeer } from '../peers/azure-iot-hub/index.js';

const log = createLogger('silent');
const newKey = (): string => randomBytes(32).toString('base64');
let counter = 0;
const newDeviceId = (prefix: string): string => `${prefix}-${++counter}-${randomBytes(3).toString('hex')}`;

let peer: IotHubPeer;
let deviceCa: Awaited<ReturnType<typeof createTestCa>>;
const transports: AzureIotTransport[] = [];

beforeAll(async () => {
  deviceCa = await createTestCa('Device CA');
  peer = await startIotHubPeer({ certificateAuthorities: [deviceCa.certPem] });
});

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.stop()));
});

afterAll(async () => {
  await peer?.stop();
});

function transportFor(hub: IotHubPeer, auth: AzureAuth, settings: Record<string, unknown> = {}): AzureIotTransport {
  const parsed = AzureIotSinkSettingsSchema.parse({ auth, ca: hub.caPem, ...settings });
  const transport = new AzureIotTransport(parsed, { agentId: 'agent-1', sinkName: 'azure', log, reconnectDelayMs: { min: 100, max: 400 } });
  transports.push(transport);
  return transport;
}

function sasDevice(hub: IotHubPeer, prefix: string): { deviceId: string; key: string; auth: AzureAuth } {
  const deviceId = newDeviceId(prefix);
  const key = newKey();
  hub.registerDevice({ deviceId, authentication: { type: 'sas', primaryKey: key } });
  return { deviceId, key, auth: { type: 'sas', hostName: hub.hostName, deviceId, sharedAccessKey: key } };
}

async function connected(transport: AzureIotTransport): Promise<void> {
  transport.start();
  await expect.poll(() => transport.link(), { timeout: 10_000 }).toBe('connected');
  expect(transport.lastError()).toBeNull();
}

const message = (device: string, group: string, seq: number, body: unknown) => ({ topic: `${device}/${group}`, payload: Buffer.from(JSON.stringify(body)), seq });

describe('Azure IoT transport: connecting', () => {
  it('connects with a device connection string, with SAS settings and with an X.509 certificate', async () => {
    const fromString = sasDevice(peer, 'cs');
    const t1 = transportFor(peer, { type: 'connection-string', connectionString: peer.connectionString(fromString.deviceId) });
    const t2 = transportFor(peer, sasDevice(peer, 'sas').auth);
    const x509Id = newDeviceId('x509');
    peer.registerDevice({ deviceId: x509Id, authentication: { type: 'certificateAuthority' } });
    const material = await issueDeviceCertificate(deviceCa, x509Id);
    const t3 = transportFor(peer, { type: 'x509', hostName: peer.hostName, deviceId: x509Id, certificate: material.certPem, privateKey: material.keyPem });

    const links: LinkState[] = [];
    t1.onLinkChange((l) => links.push(l));
    await Promise.all([connected(t1), connected(t2), connected(t3)]);
    expect(links).toEqual(['connecting', 'connected']);
    expect(peer.connectedDevices()).toEqual(expect.arrayContaining([fromString.deviceId, x509Id]));
  });

  it('a wrong key: link error, and lastError says why without the key or a token', async () => {
    const deviceId = newDeviceId('wrong');
    peer.registerDevice({ deviceId, authentication: { type: 'sas', primaryKey: newKey() } });
    const wrongKey = newKey();
    const t = transportFor(peer, { type: 'sas', hostName: peer.hostName, deviceId, sharedAccessKey: wrongKey });
    t.start();
    await expect.poll(() => t.link(), { timeout: 10_000 }).toBe('error');
    const error = t.lastError() ?? '';
    expect(error).toMatch(new RegExp(`refused device '${deviceId}'.*Not authorized`));
    expect(error).not.toContain(wrongKey);
    expect(error).not.toMatch(/SharedAccessSignature|sig=|SharedAccessKey/);
    expect(peer.refusals()).toContainEqual(expect.objectContaining({ stage: 'connect', clientId: deviceId, reason: expect.stringMatching(/signature does not match/) }));
    await expect(t.send(message('plc', 'line', 1, {}))).rejects.toThrow(/not connected/);
    // It keeps trying (the key may be fixed in the registry) and the state stays 'error'.
    const refusedBefore = peer.refusals().filter((r) => r.clientId === deviceId).length;
    await expect.poll(() => peer.refusals().filter((r) => r.clientId === deviceId).length, { timeout: 5_000 }).toBeGreaterThan(refusedBefore);
    expect(t.link()).toBe('error');
  });

  it('a hub certificate the configured CA did not sign: link error, a TLS reason', async () => {
    const otherCa = await createTestCa('Some other CA');
    const { auth } = sasDevice(peer, 'tls');
    const t = transportFor(peer, auth, { ca: otherCa.certPem });
    t.start();
    await expect.poll(() => t.link(), { timeout: 10_000 }).toBe('error');
    expect(t.lastError()).toMatch(/^TLS with IoT Hub localhost:\d+ failed: .*certificate/);
  });
});

describe('Azure IoT transport: telemetry', () => {
  it('send() arrives with payload, content type, encoding, application properties and messageId = seq', async () => {
    const { deviceId, auth } = sasDevice(peer, 'send');
    const t = transportFor(peer, auth, { contentType: 'application/json', contentEncoding: 'utf-8', properties: { site: 'Plant 1/North', device: 'ignored' } });
    await expect(t.send(message('plc', 'line', 1, {}))).rejects.toThrow(/not connected/);
    await connected(t);

    await t.send(message('plc-1', 'fast', 17, { timestamp: 1, values: { temp: 21.5 } }));
    const event = await peer.waitForEvent((e) => e.deviceId === deviceId);
    expect(JSON.parse(event.payload.toString('utf8'))).toEqual({ timestamp: 1, values: { temp: 21.5 } });
    expect(event.contentType).toBe('application/json');
    expect(event.contentEncoding).toBe('utf-8');
    expect(event.messageId).toBe('17');
    expect(event.applicationProperties).toEqual({ site: 'Plant 1/North', device: 'plc-1', group: 'fast' });
    expect(event.qos).toBe(1);

    // Other content types and encodings than the SDK's typings list go through as given.
    const t2 = transportFor(peer, sasDevice(peer, 'send-ct').auth, { contentType: 'text/csv', contentEncoding: 'us-ascii' });
    await connected(t2);
    await t2.send({ topic: 'plc/slow', payload: Buffer.from('a,b'), seq: 9_007_199_254_740_991 });
    const csv = await peer.waitForEvent((e) => e.payload.toString() === 'a,b');
    expect(csv).toMatchObject({ contentType: 'text/csv', contentEncoding: 'us-ascii', messageId: '9007199254740991', applicationProperties: { device: 'plc', group: 'slow' } });
  });

  it('reportStatus patches the reported properties, on the same twin each time', async () => {
    const { deviceId, auth } = sasDevice(peer, 'twin');
    const t = transportFor(peer, auth);
    await t.reportStatus({ ignored: true }); // not connected: logged, not thrown
    await connected(t);
    await t.reportStatus({ agent: { version: '0.1.0' }, sinks: { azure: { link: 'connected', bufferDepth: 0 } } });
    await t.reportStatus({ sinks: { azure: { bufferDepth: 12 } } });
    expect(peer.reportedProperties(deviceId)).toEqual({ agent: { version: '0.1.0' }, sinks: { azure: { link: 'connected', bufferDepth: 12 } } });
  });
});

describe('Azure IoT transport: writes from the cloud', () => {
  async function writableDevice(prefix: string, handler: WriteHandler): Promise<{ deviceId: string; t: AzureIotTransport }> {
    const { deviceId, auth } = sasDevice(peer, prefix);
    const t = transportFor(peer, auth);
    t.onWrite(handler);
    await connected(t);
    await peer.waitForSubscription(deviceId, '$iothub/methods/POST/#');
    await peer.waitForSubscription(deviceId, `devices/${deviceId}/messages/devicebound/#`);
    return { deviceId, t };
  }

  it('direct method write: 200 when all tags are written, 207 when some fail, 400 for a malformed payload', async () => {
    const seen: WriteRequest[] = [];
    const { deviceId } = await writableDevice('method', async (request) => {
      seen.push(request);
      if (request.tag === 'status') return { ok: false, error: { code: 'TAG_NOT_WRITABLE', message: 'status is read-only' } };
      if (request.tag === 'boom') throw new Error('driver fell over');
      return { ok: true };
    });

    expect(await peer.invokeMethod(deviceId, 'write', { device: 'plc', group: 'line', tag: 'setpoint', value: 42 }, 5_000)).toEqual({
      status: 200,
      payload: { results: [{ tag: 'setpoint', ok: true }] },
    });
    expect(seen).toEqual([{ device: 'plc', group: 'line', tag: 'setpoint', value: 42 }]);

    const multi = await peer.invokeMethod(
      deviceId,
      'write',
      {
        device: 'plc',
        tags: [
          { tag: 'setpoint', value: 7 },
          { tag: 'status', value: 1 },
          { tag: 'boom', value: true },
        ],
      },
      5_000,
    );
    expect(multi).toEqual({
      status: 207,
      payload: {
        results: [
          { tag: 'setpoint', ok: true },
          { tag: 'status', ok: false, error: { code: 'TAG_NOT_WRITABLE', message: 'status is read-only' } },
          { tag: 'boom', ok: false, error: { code: 'INTERNAL', message: 'driver fell over' } },
        ],
      },
    });
    expect(seen.slice(1)).toEqual([
      { device: 'plc', tag: 'setpoint', value: 7 },
      { device: 'plc', tag: 'status', value: 1 },
      { device: 'plc', tag: 'boom', value: true },
    ]);

    for (const garbage of [{ foo: 1 }, 'write everything', null, [1, 2], { device: 'plc', tag: 't', value: { nested: true } }]) {
      const answer = await peer.invokeMethod(deviceId, 'write', garbage, 5_000);
      expect(answer).toMatchObject({ status: 400, payload: { error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/malformed write/) } } });
    }
    expect(seen).toHaveLength(4);
  });

  it('a cloud-to-device write reaches the handler and is completed; a malformed one is refused without harm', async () => {
    const seen: WriteRequest[] = [];
    const { deviceId, t } = await writableDevice('c2d', async (request) => {
      seen.push(request);
      return { ok: true };
    });

    const garbageId = await peer.sendC2D(deviceId, 'not json at all {');
    await peer.waitForC2dCompletion(garbageId);
    const id = await peer.sendC2D(deviceId, JSON.stringify({ device: 'plc', group: 'line', tags: [{ tag: 'run', value: true }] }), { '$.ct': 'application/json' });
    const completed = await peer.waitForC2dCompletion(id);
    expect(completed.completed).toBe(true);
    await expect.poll(() => seen).toEqual([{ device: 'plc', group: 'line', tag: 'run', value: true }]);
    expect(t.link()).toBe('connected');
  });

  it('without a write handler a write is answered 501, and with writes off nothing is subscribed', async () => {
    const { deviceId, auth } = sasDevice(peer, 'nohandler');
    const t = transportFor(peer, auth);
    await connected(t);
    await peer.waitForSubscription(deviceId, '$iothub/methods/POST/#');
    expect(await peer.invokeMethod(deviceId, 'write', { device: 'plc', tag: 't', value: 1 }, 5_000)).toMatchObject({
      status: 501,
      payload: { error: { code: 'OPERATION_UNSUPPORTED' } },
    });

    const off = sasDevice(peer, 'writes-off');
    const t2 = transportFor(peer, off.auth, { writes: false });
    t2.onWrite(async () => ({ ok: true }));
    await connected(t2);
    await expect(peer.invokeMethod(off.deviceId, 'write', { device: 'plc', tag: 't', value: 1 }, 500)).rejects.toMatchObject({ status: 404 });
  });
});

describe('Azure IoT transport: recovery and stop', () => {
  it('reconnects by itself when the hub goes away and comes back on the same port, then sends again', async () => {
    const serverCa = await createTestCa('Restartable IoT Hub CA');
    let hub = await startIotHubPeer({ serverCa });
    try {
      const { deviceId, key, auth } = sasDevice(hub, 'restart');
      const t = transportFor(hub, auth);
      const links: LinkState[] = [];
      t.onLinkChange((l) => links.push(l));
      await connected(t);
      await t.send(message('plc', 'line', 1, { n: 1 }));
      await hub.waitForEvent((e) => e.deviceId === deviceId && e.messageId === '1');

      const port = hub.port;
      await hub.stop();
      await expect.poll(() => t.link(), { timeout: 10_000 }).toBe('disconnected');
      expect(t.lastError()).toMatch(/IoT Hub localhost:\d+/);
      await expect(t.send(message('plc', 'line', 2, { n: 2 }))).rejects.toThrow(/not connected/);
      // A few attempts fail while the hub is down.
      await new Promise((resolve) => setTimeout(resolve, 600));

      hub = await startIotHubPeer({ serverCa, port });
      hub.registerDevice({ deviceId, authentication: { type: 'sas', primaryKey: key } });
      await expect.poll(() => t.link(), { timeout: 15_000 }).toBe('connected');
      expect(t.lastError()).toBeNull();
      await t.send(message('plc', 'line', 2, { n: 2 }));
      const event = await hub.waitForEvent((e) => e.deviceId === deviceId);
      expect(event.messageId).toBe('2');
      expect(links).toEqual(['connecting', 'connected', 'disconnected', 'connected']);
    } finally {
      await hub.stop();
    }
  });

  it('stop() resolves promptly, connected or still trying, and the link is disconnected', async () => {
    const t = transportFor(peer, sasDevice(peer, 'stop').auth);
    await connected(t);
    let started = Date.now();
    await t.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(t.link()).toBe('disconnected');
    await expect(t.send(message('plc', 'line', 1, {}))).rejects.toThrow(/not connected/);

    // A hub that accepts TCP but never answers: stop() while the attempt hangs.
    const net = await import('node:net');
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const hanging = transportFor(peer, { type: 'sas', hostName: `127.0.0.1:${port}`, deviceId: 'dev', sharedAccessKey: newKey() });
      hanging.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(hanging.link()).toBe('connecting');
      started = Date.now();
      await hanging.stop();
      expect(Date.now() - started).toBeLessThan(6_000);
      expect(hanging.link()).toBe('disconnected');
    } finally {
      silent.close();
    }
  });
});

describe('Azure IoT sink: the shared pipeline over the transport', () => {
  it('publishes a group read as a Neuron values message with device and group properties', async () => {
    const { deviceId, auth } = sasDevice(peer, 'sink');
    const config = SinkSchema.parse({ name: 'azure', kind: 'azure-iot', settings: { auth, ca: peer.caPem, properties: { site: 'plant-7' } }, subscriptions: [] });
    if (config.kind !== 'azure-iot') throw new Error('fixture');
    const sink = createAzureIotSink(config, sinkContext());
    try {
      await sink.start();
      await expect.poll(() => sink.link(), { timeout: 10_000 }).toBe('connected');
      sink.publish(sampleOf('press', 'fast', 42, { temp: 21.5 }));
      const event = await peer.waitForEvent((e) => e.deviceId === deviceId, 10_000);
      expect(JSON.parse(event.payload.toString())).toEqual({ timestamp: 42, node: 'press', group: 'fast', values: { temp: 21.5 }, errors: {}, metas: {} });
      expect(event.applicationProperties).toMatchObject({ device: 'press', group: 'fast', site: 'plant-7' });
      expect(event.contentType).toBe('application/json');
      // The hub has it before the device has the hub's acknowledgement.
      await expect.poll(() => sink.stats(), { timeout: 5_000 }).toMatchObject({ kind: 'azure-iot', published: 1, bufferDepth: 0 });
    } finally {
      await sink.stop();
    }
  });

  it('reports the agent status in the twin on connect and again when it changed, removing what left', async () => {
    const { deviceId, auth } = sasDevice(peer, 'status');
    const config = SinkSchema.parse({ name: 'azure', kind: 'azure-iot', settings: { auth, ca: peer.caPem }, subscriptions: [] });
    if (config.kind !== 'azure-iot') throw new Error('fixture');
    const status: AgentStatusReport = {
      agentId: 'agent-1',
      agentVersion: '0.1.0',
      startedAt: '2026-01-01T00:00:00.000Z',
      appliedRevision: 3,
      configStatus: 'applied',
      configError: null,
      devices: { press: { link: 'connected', error: null }, oven: { link: 'disconnected', error: 'connect ECONNREFUSED 10.0.0.9:502' } },
      sinks: { azure: { link: 'connected', bufferDepth: 0, dropped: 0 } },
    };
    const sink = createAzureIotSink(config, { ...sinkContext(), status: () => status }, { statusIntervalMs: 100 });
    try {
      await sink.start();
      // IoT Hub keeps no nulls in a twin: a null in a patch removes the property (RFC 7386).
      const asTwin = (value: unknown): unknown =>
        value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, asTwin(v)])) : value;
      const first = await peer.waitForReported(deviceId, (r) => r.edgefleet !== undefined, 10_000);
      expect(first.edgefleet).toEqual(asTwin(status));
      // The oven is taken out of the config and a new revision applied.
      const { oven: _gone, ...rest } = status.devices;
      status.devices = rest;
      status.appliedRevision = 4;
      const second = await peer.waitForReported(deviceId, (r) => (r.edgefleet as AgentStatusReport | undefined)?.appliedRevision === 4, 10_000);
      expect(second.edgefleet).toEqual(asTwin(status));
      expect(Object.keys((second.edgefleet as AgentStatusReport).devices)).toEqual(['press']);
    } finally {
      await sink.stop();
    }
  });
});
