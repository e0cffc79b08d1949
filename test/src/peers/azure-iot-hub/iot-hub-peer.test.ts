import { randomBytes } from 'node:crypto';
import azureDevice, { type Client as DeviceClient, type DeviceMethodRequest, type DeviceMethodResponse, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MethodInvocationError,
  createSasToken,
  createSelfSignedDeviceCertificate,
  createTestCa,
  decodePropertyBag,
  encodePropertyBag,
  issueDeviceCertificate,
  parseUsername,
  startIotHubPeer,
  thumbprint,
  verifyDeviceSas,
  type IotHubPeer,
  type KeyAndCertificate,
} from './index.js';

/*
 * The real Azure IoT device SDK (azure-iot-device + azure-iot-device-mqtt, MQTT 3.1.1 over TLS)
 * against the local IoT Hub stand-in.
 *
 * What the SDK does that matters here (read in node_modules/azure-iot-device-mqtt/dist/mqtt.js,
 * azure-iot-mqtt-base/dist/mqtt_base.js, azure-iot-common/dist/shared_access_signature.js):
 * - `HostName` from the connection string is used verbatim three times: the broker URL
 *   `mqtts://{HostName}` (mqtt.js uses 8883 only when no port is given, so `localhost:{port}`
 *   works), the MQTT user name `{HostName}/{deviceId}/?api-version=2020-09-30&DeviceClientType=…`,
 *   and the SAS resource `sr=url-encode({HostName}/devices/{deviceId})`. The peer's host name is
 *   therefore `localhost:{port}`. `GatewayHostName` would let the URL differ from the host name,
 *   but only the SAS-key path reads it (the X.509 path ignores it), so it is not used.
 * - mqtt.js sets the TLS servername to the URL host when it is not an IP, so the peer's server
 *   certificate names `localhost`; the test CA is passed with `setOptions({ ca })`, which the
 *   transport forwards to tls.connect. Nothing is disabled: rejectUnauthorized stays on.
 * - The signature covers the URL-encoded `sr` exactly as sent, `{sr}\n{se}`, with the
 *   base64-decoded key; the token lasts an hour and is renewed by reconnecting.
 * - The SDK connects with clean session off, subscribes to C2D at QoS 1, to methods and twin
 *   topics at QoS 0, and subscribes to `$iothub/twin/res/#` before the first twin request.
 * - `setOptions()` is asynchronous (it fetches credentials first): `open()` called before it has
 *   settled connects without the `ca`/`cert`/`key` (seen as "unable to verify the first
 *   certificate" or "Invalid transport configuration"), so the tests await it.
 * - A refused CONNECT (CONNACK 5, "Not authorized") becomes `UnauthorizedError`, which the default
 *   retry policy does not retry, so `open()` rejects at once.
 * - C2D messages are acknowledged by mqtt.js (PUBACK) when delivered; `client.complete()` on the
 *   MQTT transport sends nothing more.
 * - Plain Node ESM cannot import `Message`/`Client` by name from the CommonJS `azure-iot-device`
 *   (its re-exports are not statically detectable), hence the default import below.
 */
const { Client, Message, SharedAccessSignature } = azureDevice;

const newKey = (): string => randomBytes(32).toString('base64');
let counter = 0;
const newDeviceId = (prefix: string): string => `${prefix}-${++counter}-${randomBytes(3).toString('hex')}`;

let peer: IotHubPeer;
let deviceCa: Awaited<ReturnType<typeof createTestCa>>;
const clients: DeviceClient[] = [];
const rawClients: MqttClient[] = [];

beforeAll(async () => {
  deviceCa = await createTestCa('Device CA');
  peer = await startIotHubPeer({ certificateAuthorities: [deviceCa.certPem] });
});

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await Promise.allSettled(rawClients.splice(0).map((c) => c.endAsync(true)));
});

afterAll(async () => {
  await peer?.stop();
});

async function sasDevice(prefix: string): Promise<{ deviceId: string; key: string; client: DeviceClient }> {
  const deviceId = newDeviceId(prefix);
  const key = newKey();
  peer.registerDevice({ deviceId, authentication: { type: 'sas', primaryKey: key } });
  const client = Client.fromConnectionString(peer.connectionString(deviceId), Mqtt);
  clients.push(client);
  await client.setOptions({ ca: peer.caPem });
  return { deviceId, key, client };
}

async function x509Client(deviceId: string, material: KeyAndCertificate): Promise<DeviceClient> {
  const client = Client.fromConnectionString(`HostName=${peer.hostName};DeviceId=${deviceId};x509=true`, Mqtt);
  clients.push(client);
  await client.setOptions({ cert: material.certPem, key: material.keyPem, ca: peer.caPem });
  return client;
}

/** A plain MQTT 3.1.1 client with a device's credentials, for what the SDK would never send. */
async function rawDevice(opts: { clientId: string; username: string; password?: string }): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtts://localhost:${peer.port}`, {
    protocolVersion: 4,
    clientId: opts.clientId,
    username: opts.username,
    password: opts.password,
    ca: peer.caPem,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
  rawClients.push(client);
  return client;
}

const usernameFor = (deviceId: string): string => `${peer.hostName}/${deviceId}/?api-version=2021-04-12`;
const tokenFor = (deviceId: string, key: string): string => SharedAccessSignature.create(peer.hostName, deviceId, key, Math.floor(Date.now() / 1000) + 600).toString();

describe('IoT Hub peer protocol rules', () => {
  it('parses the user name shape IoT Hub requires', () => {
    expect(parseUsername('hub.azure-devices.net/dev-1/?api-version=2021-04-12&DeviceClientType=azure-iot-device%2F1.18.4')).toMatchObject({
      ok: true,
      value: { hostName: 'hub.azure-devices.net', deviceId: 'dev-1', apiVersion: '2021-04-12', query: { DeviceClientType: 'azure-iot-device/1.18.4' } },
    });
    expect(parseUsername('hub.azure-devices.net/dev-1/').ok).toBe(false);
    expect(parseUsername('hub.azure-devices.net/dev-1/?DeviceClientType=x').ok).toBe(false);
    expect(parseUsername('dev-1').ok).toBe(false);
    expect(parseUsername('hub/dev-1/mod-1/?api-version=1').ok).toBe(false);
  });

  it('verifies SAS tokens as the SDK makes them', () => {
    const key = newKey();
    const se = Math.floor(Date.now() / 1000) + 600;
    const sdkToken = SharedAccessSignature.create('hub.example:8883', 'dev 1', key, se).toString();
    expect(createSasToken('hub.example:8883', 'dev 1', key, se)).toBe(sdkToken);
    const now = Math.floor(Date.now() / 1000);
    expect(verifyDeviceSas(sdkToken, { hostName: 'HUB.example:8883', deviceId: 'dev 1', keys: [key], nowSeconds: now }).ok).toBe(true);
    expect(verifyDeviceSas(sdkToken, { hostName: 'hub.example:8883', deviceId: 'dev 1', keys: [newKey(), key], nowSeconds: now }).ok).toBe(true);
    expect(verifyDeviceSas(sdkToken, { hostName: 'hub.example:8883', deviceId: 'dev 1', keys: [newKey()], nowSeconds: now })).toMatchObject({ ok: false, reason: expect.stringMatching(/signature/) });
    expect(verifyDeviceSas(sdkToken, { hostName: 'hub.example:8883', deviceId: 'dev 2', keys: [key], nowSeconds: now })).toMatchObject({ ok: false, reason: expect.stringMatching(/sr/) });
    expect(verifyDeviceSas(sdkToken, { hostName: 'hub.example:8883', deviceId: 'dev 1', keys: [key], nowSeconds: se })).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
    const withPolicy = SharedAccessSignature.create('hub.example:8883', 'dev 1', key, se).toString().replace('&se=', '&skn=device&se=');
    expect(verifyDeviceSas(withPolicy, { hostName: 'hub.example:8883', deviceId: 'dev 1', keys: [key], nowSeconds: now }).ok).toBe(false);
  });

  it('round-trips property bags', () => {
    const props = { '$.ct': 'application/json', '$.ce': 'utf-8', 'line name': 'a&b=c/d' };
    expect(decodePropertyBag(encodePropertyBag(props))).toEqual({ ok: true, value: props });
    expect(decodePropertyBag('%E0%A4%A=1').ok).toBe(false);
  });
});

describe('Azure device SDK against the IoT Hub peer', () => {
  it('SAS: connects and sends telemetry whose content type, encoding and application properties arrive decoded', async () => {
    const { deviceId, client } = await sasDevice('sas');
    await client.open();
    const message = new Message(JSON.stringify({ temperature: 21.5 }));
    message.contentType = 'application/json';
    message.contentEncoding = 'utf-8';
    message.messageId = 'm-1';
    message.properties.add('source', 'line 1/press');
    message.properties.add('unit', '°C');
    await client.sendEvent(message);

    const event = await peer.waitForEvent((e) => e.deviceId === deviceId);
    expect(JSON.parse(event.payload.toString('utf8'))).toEqual({ temperature: 21.5 });
    expect(event.contentType).toBe('application/json');
    expect(event.contentEncoding).toBe('utf-8');
    expect(event.messageId).toBe('m-1');
    expect(event.applicationProperties).toEqual({ source: 'line 1/press', unit: '°C' });
    expect(event.topic.startsWith(`devices/${deviceId}/messages/events/`)).toBe(true);
    expect(peer.connectedDevices()).toContain(deviceId);
  });

  it('SAS: a wrong key is refused with CONNACK not authorized', async () => {
    const deviceId = newDeviceId('wrong-key');
    peer.registerDevice({ deviceId, authentication: { type: 'sas', primaryKey: newKey() } });
    const client = Client.fromConnectionString(`HostName=${peer.hostName};DeviceId=${deviceId};SharedAccessKey=${newKey()}`, Mqtt);
    await client.setOptions({ ca: peer.caPem });
    clients.push(client);
    await expect(client.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
    expect(peer.refusals()).toContainEqual(expect.objectContaining({ stage: 'connect', clientId: deviceId, reason: expect.stringMatching(/signature does not match/) }));
  });

  it('SAS: an expired token and a token whose expiry was extended are refused', async () => {
    const deviceId = newDeviceId('expired');
    const key = newKey();
    peer.registerDevice({ deviceId, authentication: { type: 'sas', primaryKey: key } });

    const expired = SharedAccessSignature.create(peer.hostName, deviceId, key, Math.floor(Date.now() / 1000) - 60).toString();
    const c1 = Client.fromSharedAccessSignature(expired, Mqtt);
    await c1.setOptions({ ca: peer.caPem });
    clients.push(c1);
    await expect(c1.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
    expect(peer.refusals()).toContainEqual(expect.objectContaining({ clientId: deviceId, reason: expect.stringMatching(/expired/) }));

    const valid = SharedAccessSignature.create(peer.hostName, deviceId, key, Math.floor(Date.now() / 1000) + 60).toString();
    const forged = valid.replace(/se=(\d+)/, (_m, se: string) => `se=${Number(se) + 86_400}`);
    expect(forged).not.toBe(valid);
    const c2 = Client.fromSharedAccessSignature(forged, Mqtt);
    await c2.setOptions({ ca: peer.caPem });
    clients.push(c2);
    await expect(c2.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
    expect(peer.refusals().filter((r) => r.clientId === deviceId && /signature does not match/.test(r.reason))).toHaveLength(1);

    // The untouched token is accepted.
    const c3 = Client.fromSharedAccessSignature(valid, Mqtt);
    await c3.setOptions({ ca: peer.caPem });
    clients.push(c3);
    await c3.open();
  });

  it('X.509: a CA-signed and a thumbprint-registered device connect and send telemetry', async () => {
    const caDevice = newDeviceId('x509-ca');
    peer.registerDevice({ deviceId: caDevice, authentication: { type: 'certificateAuthority' } });
    const c1 = await x509Client(caDevice, await issueDeviceCertificate(deviceCa, caDevice));
    await c1.open();
    await c1.sendEvent(new Message('from a CA-signed device'));

    const selfSigned = newDeviceId('x509-self');
    const material = await createSelfSignedDeviceCertificate(selfSigned);
    peer.registerDevice({ deviceId: selfSigned, authentication: { type: 'selfSigned', primaryThumbprint: thumbprint(material.certPem, 'sha1') } });
    const c2 = await x509Client(selfSigned, material);
    await c2.open();
    await c2.sendEvent(new Message('from a self-signed device'));

    expect((await peer.waitForEvent((e) => e.deviceId === caDevice)).payload.toString()).toBe('from a CA-signed device');
    expect((await peer.waitForEvent((e) => e.deviceId === selfSigned)).payload.toString()).toBe('from a self-signed device');
  });

  it("X.509: another device's certificate, an unregistered thumbprint and an untrusted CA are refused", async () => {
    const victim = newDeviceId('x509-victim');
    const other = newDeviceId('x509-other');
    peer.registerDevice({ deviceId: victim, authentication: { type: 'certificateAuthority' } });
    peer.registerDevice({ deviceId: other, authentication: { type: 'certificateAuthority' } });
    const c1 = await x509Client(victim, await issueDeviceCertificate(deviceCa, other));
    await expect(c1.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
    expect(peer.refusals()).toContainEqual(expect.objectContaining({ clientId: victim, reason: expect.stringMatching(/CN .* is not device id/) }));

    const rogueCa = await createTestCa('Rogue CA');
    const c2 = await x509Client(other, await issueDeviceCertificate(rogueCa, other));
    await expect(c2.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
    expect(peer.refusals()).toContainEqual(expect.objectContaining({ clientId: other, reason: expect.stringMatching(/not signed by a registered CA/) }));

    const pinned = newDeviceId('x509-pinned');
    const registered = await createSelfSignedDeviceCertificate(pinned);
    peer.registerDevice({ deviceId: pinned, authentication: { type: 'selfSigned', primaryThumbprint: thumbprint(registered.certPem) } });
    const c3 = await x509Client(pinned, await createSelfSignedDeviceCertificate(pinned));
    await expect(c3.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
    expect(peer.refusals()).toContainEqual(expect.objectContaining({ clientId: pinned, reason: expect.stringMatching(/thumbprint .* is not registered/) }));
  });

  it('C2D: a message sent by the hub reaches client.on("message") with its properties and is completed', async () => {
    const { deviceId, client } = await sasDevice('c2d');
    const received: InstanceType<typeof Message>[] = [];
    client.on('message', (msg: InstanceType<typeof Message>) => {
      received.push(msg);
      void client.complete(msg);
    });
    await client.open();
    await peer.waitForSubscription(deviceId, `devices/${deviceId}/messages/devicebound/#`);

    const messageId = await peer.sendC2D(deviceId, JSON.stringify({ setpoint: 42 }), { '$.ct': 'application/json', command: 'write setpoint' });
    const completed = await peer.waitForC2dCompletion(messageId);
    expect(completed.completed).toBe(true);
    expect(received).toHaveLength(1);
    const msg = received[0]!;
    expect(JSON.parse(msg.getBytes().toString())).toEqual({ setpoint: 42 });
    expect(msg.messageId).toBe(messageId);
    expect(msg.contentType).toBe('application/json');
    expect(msg.properties.getValue('command')).toBe('write setpoint');
  });

  it('direct method: "write" invoked on the hub is answered through onDeviceMethod', async () => {
    const { deviceId, client } = await sasDevice('method');
    const requests: unknown[] = [];
    client.onDeviceMethod('write', (request: DeviceMethodRequest, response: DeviceMethodResponse) => {
      requests.push(request.payload);
      void response.send(202, { accepted: true, tag: 'press.setpoint' });
    });
    await client.open();
    await peer.waitForSubscription(deviceId, '$iothub/methods/POST/#');

    const result = await peer.invokeMethod(deviceId, 'write', { tag: 'press.setpoint', value: 42 }, 5_000);
    expect(result).toEqual({ status: 202, payload: { accepted: true, tag: 'press.setpoint' } });
    expect(requests).toEqual([{ tag: 'press.setpoint', value: 42 }]);

    // A method the device has no handler for is never answered: the service times out (504).
    await expect(peer.invokeMethod(deviceId, 'reboot', null, 300)).rejects.toMatchObject({ status: 504 });
    // A device that is not connected cannot be reached (404).
    const offline = newDeviceId('offline');
    peer.registerDevice({ deviceId: offline, authentication: { type: 'sas', primaryKey: newKey() } });
    await expect(peer.invokeMethod(offline, 'write', {}, 1_000)).rejects.toBeInstanceOf(MethodInvocationError);
  });

  it('twin: reported properties patched through getTwin() are visible on the hub; desired ones reach the device', async () => {
    const { deviceId, client } = await sasDevice('twin');
    peer.updateDesired(deviceId, { publishIntervalMs: 1000 });
    await client.open();
    const twin: Twin = await client.getTwin();
    expect(twin.properties.desired).toMatchObject({ publishIntervalMs: 1000, $version: 2 });

    await new Promise<void>((resolve, reject) =>
      twin.properties.reported.update({ firmware: '1.2.3', sink: { azure: 'connected' } }, (err?: Error) => (err ? reject(err) : resolve())),
    );
    expect(peer.reportedProperties(deviceId)).toEqual({ firmware: '1.2.3', sink: { azure: 'connected' } });
    await new Promise<void>((resolve, reject) =>
      twin.properties.reported.update({ sink: { azure: null, mqtt: 'connected' } }, (err?: Error) => (err ? reject(err) : resolve())),
    );
    expect(peer.twin(deviceId).reported).toEqual({ firmware: '1.2.3', sink: { mqtt: 'connected' }, $version: 3 });

    const desired: unknown[] = [];
    twin.on('properties.desired', (delta: unknown) => desired.push(delta));
    await peer.waitForSubscription(deviceId, '$iothub/twin/PATCH/properties/desired/#');
    peer.updateDesired(deviceId, { publishIntervalMs: 250 });
    await expect.poll(() => desired).toContainEqual(expect.objectContaining({ publishIntervalMs: 250, $version: 3 }));
  });

  it("a device publishing to another device's topic is disconnected; subscribing to it is refused", async () => {
    const a = newDeviceId('raw-a');
    const b = newDeviceId('raw-b');
    const keyA = newKey();
    peer.registerDevice({ deviceId: a, authentication: { type: 'sas', primaryKey: keyA } });
    peer.registerDevice({ deviceId: b, authentication: { type: 'sas', primaryKey: newKey() } });

    const client = await rawDevice({ clientId: a, username: usernameFor(a), password: tokenFor(a, keyA) });
    // SUBACK 0x80, which mqtt.js 5 turns into a rejection.
    await expect(client.subscribeAsync(`devices/${b}/messages/devicebound/#`, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    const grantedOwn = await client.subscribeAsync(`devices/${a}/messages/devicebound/#`, { qos: 1 });
    expect(grantedOwn[0]?.qos).toBe(1);

    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(`devices/${b}/messages/events/`, 'spoofed', { qos: 1 });
    await closed;
    expect(peer.refusals()).toContainEqual(expect.objectContaining({ stage: 'publish', clientId: a, topic: `devices/${b}/messages/events/` }));
    expect(peer.refusals()).toContainEqual(expect.objectContaining({ stage: 'subscribe', clientId: a, topic: `devices/${b}/messages/devicebound/#` }));
    expect(peer.events().some((e) => e.payload.toString() === 'spoofed')).toBe(false);
  });

  it('applies the IoT Hub MQTT limits: retained telemetry is flagged, QoS 2 and a foreign last will are refused', async () => {
    const a = newDeviceId('limits');
    const b = newDeviceId('limits-other');
    const key = newKey();
    peer.registerDevice({ deviceId: a, authentication: { type: 'sas', primaryKey: key } });

    const client = await rawDevice({ clientId: a, username: usernameFor(a), password: tokenFor(a, key) });
    await client.publishAsync(`devices/${a}/messages/events/${encodePropertyBag({ '$.ct': 'text/plain', k: 'v' })}`, 'kept?', { qos: 1, retain: true });
    const event = await peer.waitForEvent((e) => e.deviceId === a);
    expect(event.properties).toEqual({ '$.ct': 'text/plain', k: 'v', 'mqtt-retain': 'true' });

    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(`devices/${a}/messages/events/`, 'exactly once', { qos: 2 });
    await closed;
    expect(peer.refusals().at(-1)).toMatchObject({ stage: 'publish', clientId: a, reason: expect.stringMatching(/QoS 2/) });

    await expect(
      mqtt.connectAsync(`mqtts://localhost:${peer.port}`, {
        protocolVersion: 4,
        clientId: a,
        username: usernameFor(a),
        password: tokenFor(a, key),
        ca: peer.caPem,
        reconnectPeriod: 0,
        will: { topic: `devices/${b}/messages/events/`, payload: Buffer.from('gone'), qos: 1, retain: false },
      }),
    ).rejects.toMatchObject({ code: 5 });
    expect(peer.refusals().at(-1)).toMatchObject({ stage: 'connect', clientId: a, reason: expect.stringMatching(/last will/) });
  });

  it('CONNECT is refused for a token of another device, a wrong client id, a foreign host name and a missing api-version', async () => {
    const a = newDeviceId('conn-a');
    const b = newDeviceId('conn-b');
    const keyA = newKey();
    peer.registerDevice({ deviceId: a, authentication: { type: 'sas', primaryKey: keyA } });
    peer.registerDevice({ deviceId: b, authentication: { type: 'sas', primaryKey: keyA } });
    const attempts = [
      { clientId: b, username: usernameFor(b), password: tokenFor(a, keyA), reason: /sr .* is not/ },
      { clientId: b, username: usernameFor(a), password: tokenFor(a, keyA), reason: /client id/ },
      { clientId: a, username: `other-hub.azure-devices.net/${a}/?api-version=2021-04-12`, password: tokenFor(a, keyA), reason: /not this hub/ },
      { clientId: a, username: `${peer.hostName}/${a}/`, password: tokenFor(a, keyA), reason: /user name/ },
      { clientId: a, username: usernameFor(a), reason: /no password/ },
    ];
    for (const attempt of attempts) {
      await expect(rawDevice(attempt)).rejects.toMatchObject({ code: 5 });
      expect(peer.refusals().at(-1)).toMatchObject({ stage: 'connect', clientId: attempt.clientId, reason: expect.stringMatching(attempt.reason) });
    }
    // The same credentials in the right shape are accepted.
    await rawDevice({ clientId: a, username: usernameFor(a), password: tokenFor(a, keyA) });
  });
});
