import { randomUUID, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { createTestCa, type CertificateAuthority } from './certificates.js';
import {
  DEVICE_ID_PATTERN,
  classifyDevicePublish,
  encodePropertyBag,
  filterMatches,
  maySubscribe,
  parseUsername,
  splitProperties,
  verifyDeviceSas,
  type Verdict,
} from './protocol.js';

/**
 * A local stand-in for an Azure IoT Hub's MQTT endpoint, for tests that drive the real Azure device
 * SDK: aedes (MQTT 3.1.1, which is what IoT Hub and the SDK's MQTT transport speak) behind a TLS
 * listener on 127.0.0.1, with IoT Hub's authentication and topic rules.
 *
 * How it maps to the service:
 * - The hub's host name is `localhost:{port}`. The SDK takes `HostName` from the connection string
 *   verbatim: it connects to `mqtts://{HostName}` (a `:port` there is honoured; without one mqtt.js
 *   uses 8883), puts it in the MQTT user name `{HostName}/{deviceId}/?api-version=…` and signs
 *   `{HostName}/devices/{deviceId}` into SAS tokens. So a device configured with
 *   `HostName=localhost:{port}` presents exactly what a real device presents for
 *   `HostName={hub}.azure-devices.net`, and the hub checks it against its own name. The server
 *   certificate is issued for `localhost` and 127.0.0.1 by a test CA that devices must trust (`ca`).
 * - TLS asks every client for a certificate but lets the handshake finish without one (SAS
 *   devices have none); the handshake still proves possession of the key of a presented
 *   certificate, and the identity checks are made at CONNECT, per device.
 * - Refusals at CONNECT answer CONNACK 5 (not authorized), as IoT Hub does.
 * - A publish the rules deny closes the connection (IoT Hub closes it too; aedes can refuse a
 *   PUBLISH only that way). A denied subscription gets SUBACK 0x80.
 * - QoS 2 is not supported by IoT Hub: a QoS 2 publish closes the connection and subscriptions are
 *   granted at most QoS 1. Retained publishes are not retained; the hub adds `mqtt-retain=true`.
 * - Telemetry larger than 256 KiB (the IoT Hub device-to-cloud limit) closes the connection.
 * - Direct methods and twin responses go to the one connection of the addressed device (the
 *   `$iothub/...` topics are shared by all devices, so they are never routed by topic); C2D
 *   messages are published on `devices/{id}/messages/devicebound/...`, which only that device may
 *   subscribe to, at QoS 1, so a persistent session (the SDK connects with clean session off)
 *   queues them while the device is offline. The device's PUBACK completes a C2D message (the MQTT
 *   transport has no separate complete/reject/abandon).
 *
 * Not modelled: modules, IoT Edge, hub-level shared access policies (`skn`), device
 * enable/disable, X.509 chains through intermediate CAs (a CA-authenticated device's certificate
 * must be signed directly by a registered CA), C2D feedback, message expiry.
 */

export type DeviceAuthentication =
  /** Symmetric keys, base64 (devices connect with a SAS token signed with one of them). */
  | { type: 'sas'; primaryKey: string; secondaryKey?: string }
  /** Self-signed (or any) certificate registered by SHA-1 or SHA-256 thumbprint (hex, any case, `:` allowed). */
  | { type: 'selfSigned'; primaryThumbprint: string; secondaryThumbprint?: string }
  /** Any certificate with CN = device id signed by one of the hub's registered CAs. */
  | { type: 'certificateAuthority' };

export interface DeviceRegistration {
  deviceId: string;
  authentication: DeviceAuthentication;
}

export interface IotHubPeerOptions {
  devices?: DeviceRegistration[];
  /** PEM certificates of "verified" CAs for `certificateAuthority` devices. */
  certificateAuthorities?: string[];
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
  /** Listen on this port instead of a free one: a hub started again where its devices expect it. */
  port?: number;
  /** Issue the server certificate from this CA instead of a new one, so devices keep trusting a restarted hub. */
  serverCa?: CertificateAuthority;
}

export interface DeviceToCloudMessage {
  deviceId: string;
  topic: string;
  payload: Buffer;
  qos: number;
  /** The decoded property bag, system and application properties together. */
  properties: Record<string, string>;
  /** `$.`-prefixed properties: `$.ct`, `$.ce`, `$.mid`, `$.cid`, … */
  systemProperties: Record<string, string>;
  applicationProperties: Record<string, string>;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  messageId: string | undefined;
  receivedAt: Date;
}

export interface CloudToDeviceMessage {
  deviceId: string;
  messageId: string;
  topic: string;
  payload: Buffer;
  properties: Record<string, string>;
  /** The device acknowledged it (PUBACK). */
  completed: boolean;
}

export interface Refusal {
  stage: 'tls' | 'connect' | 'publish' | 'subscribe';
  /** MQTT client id, when the refusal happened after CONNECT was read. */
  clientId: string | undefined;
  topic: string | undefined;
  reason: string;
  at: Date;
}

export interface MethodResult {
  status: number;
  /** The response body parsed as JSON (IoT Hub requires JSON), or the raw text if it is not JSON. */
  payload: unknown;
}

/** Rejection of `invokeMethod`, with the HTTP status the service API would answer. */
export class MethodInvocationError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'MethodInvocationError';
  }
}

export interface TwinDocument {
  desired: Record<string, unknown> & { $version: number };
  reported: Record<string, unknown> & { $version: number };
}

export interface IotHubPeer {
  /** `localhost:{port}`: the HostName devices must use. */
  readonly hostName: string;
  readonly port: number;
  /** PEM of the CA that signed the hub's server certificate: the devices' trust anchor. */
  readonly caPem: string;
  registerDevice(registration: DeviceRegistration): void;
  addCertificateAuthority(pem: string): void;
  /** The device connection string: `…;SharedAccessKey=…` for SAS devices, `…;x509=true` for X.509 ones. */
  connectionString(deviceId: string): string;
  /** Device-to-cloud messages in arrival order. */
  events(): readonly DeviceToCloudMessage[];
  waitForEvent(predicate: (m: DeviceToCloudMessage) => boolean, timeoutMs?: number): Promise<DeviceToCloudMessage>;
  /** Publishes a C2D message; resolves with its message id (`$.mid`) once the broker has taken it. */
  sendC2D(deviceId: string, payload: Buffer | string, properties?: Record<string, string>): Promise<string>;
  c2dMessages(): readonly CloudToDeviceMessage[];
  /** Resolves when the device has acknowledged the C2D message. */
  waitForC2dCompletion(messageId: string, timeoutMs?: number): Promise<CloudToDeviceMessage>;
  /**
   * Invokes a direct method as the service API does. Rejects with `MethodInvocationError` 404 when
   * the device is not connected and subscribed to methods, 504 when it does not answer in time.
   */
  invokeMethod(deviceId: string, methodName: string, payload: unknown, timeoutMs?: number): Promise<MethodResult>;
  /** A copy of the device's twin. */
  twin(deviceId: string): TwinDocument;
  /** The reported properties without `$version`. */
  reportedProperties(deviceId: string): Record<string, unknown>;
  waitForReported(deviceId: string, predicate: (reported: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Patches the desired properties and notifies the device if it subscribed. Returns the new `$version`. */
  updateDesired(deviceId: string, patch: Record<string, unknown>): number;
  refusals(): readonly Refusal[];
  waitForRefusal(predicate: (r: Refusal) => boolean, timeoutMs?: number): Promise<Refusal>;
  /** Device ids with a live, authenticated connection. */
  connectedDevices(): string[];
  /** Resolves when the device's session holds the subscription `filter`. */
  waitForSubscription(deviceId: string, filter: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** CONNACK return codes [MQTT-3.2.2.3]. */
const UNACCEPTABLE_PROTOCOL = 1;
const NOT_AUTHORIZED = 5;
/** IoT Hub's maximum device-to-cloud message size. */
const MAX_D2C_BYTES = 256 * 1024;
const DEFAULT_WAIT_MS = 10_000;

function authError(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

function normalizeThumbprint(t: string): string {
  return t.replaceAll(':', '').toUpperCase();
}

interface TwinState {
  desired: Record<string, unknown>;
  desiredVersion: number;
  reported: Record<string, unknown>;
  reportedVersion: number;
}

/** JSON merge patch as the twin applies it: objects merge recursively, `null` removes a property. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete target[key];
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      const current = target[key];
      const next: Record<string, unknown> = typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : {};
      mergePatch(next, value as Record<string, unknown>);
      target[key] = next;
    } else {
      target[key] = value;
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(payload: Buffer): unknown {
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function startIotHubPeer(opts: IotHubPeerOptions = {}): Promise<IotHubPeer> {
  const log = opts.log ?? (() => {});
  const devices = new Map<string, DeviceAuthentication>();
  const authorities: X509Certificate[] = [];
  const registerDevice = (registration: DeviceRegistration): void => {
    if (!DEVICE_ID_PATTERN.test(registration.deviceId)) throw new Error(`invalid device id ${JSON.stringify(registration.deviceId)}`);
    devices.set(registration.deviceId, registration.authentication);
  };
  const addCertificateAuthority = (pem: string): void => {
    authorities.push(new X509Certificate(pem));
  };
  for (const d of opts.devices ?? []) registerDevice(d);
  for (const pem of opts.certificateAuthorities ?? []) addCertificateAuthority(pem);

  const serverCa = opts.serverCa ?? (await createTestCa('IoT Hub peer test CA'));
  const serverCert = await serverCa.issueServerCertificate('localhost', ['localhost', '127.0.0.1'], 1);

  // State the tests observe.
  const events: DeviceToCloudMessage[] = [];
  const c2d: CloudToDeviceMessage[] = [];
  const refusals: Refusal[] = [];
  const twins = new Map<string, TwinState>();
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  const waitFor = <T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const first = probe();
      if (first !== undefined) return resolve(first);
      const check = (): void => {
        const found = probe();
        if (found === undefined) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      waiters.add(check);
    });

  const refuse = (stage: Refusal['stage'], clientId: string | undefined, topic: string | undefined, reason: string): void => {
    log('warn', `refused ${stage}${clientId === undefined ? '' : ` of ${JSON.stringify(clientId)}`}${topic === undefined ? '' : ` on ${topic}`}: ${reason}`);
    refusals.push({ stage, clientId, topic, reason, at: new Date() });
    notify();
  };

  const twinOf = (deviceId: string): TwinState => {
    let twin = twins.get(deviceId);
    if (!twin) {
      twin = { desired: {}, desiredVersion: 1, reported: {}, reportedVersion: 1 };
      twins.set(deviceId, twin);
    }
    return twin;
  };
  const twinDocument = (deviceId: string): TwinDocument => {
    const t = twinOf(deviceId);
    return structuredClone({ desired: { ...t.desired, $version: t.desiredVersion }, reported: { ...t.reported, $version: t.reportedVersion } });
  };

  // Connections and sessions.
  const authenticated = new WeakMap<Client, string>();
  const wills = new WeakMap<Client, string | undefined>();
  const protocolVersions = new WeakMap<Client, number>();
  const connections = new Map<string, Client>();
  /** Subscriptions per device session, as granted. */
  const sessions = new Map<string, Set<string>>();
  const sessionOf = (deviceId: string): Set<string> => {
    let s = sessions.get(deviceId);
    if (!s) {
      s = new Set();
      sessions.set(deviceId, s);
    }
    return s;
  };
  const subscribedTo = (deviceId: string, topic: string): boolean => [...sessionOf(deviceId)].some((f) => filterMatches(f, topic));

  let hostName = '';

  const checkCertificate = (deviceId: string, auth: Exclude<DeviceAuthentication, { type: 'sas' }>, socket: tls.TLSSocket): Verdict => {
    const cert = socket.getPeerX509Certificate();
    if (!cert) return { ok: false, reason: 'no client certificate was presented' };
    const now = Date.now();
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
      return { ok: false, reason: `the client certificate is not valid now (${cert.validFrom} – ${cert.validTo})` };
    }
    if (auth.type === 'selfSigned') {
      const presented = [normalizeThumbprint(cert.fingerprint), normalizeThumbprint(cert.fingerprint256)];
      const registered = [auth.primaryThumbprint, auth.secondaryThumbprint].filter((t): t is string => t !== undefined).map(normalizeThumbprint);
      if (presented.some((t) => registered.includes(t))) return { ok: true, value: undefined };
      return { ok: false, reason: `certificate thumbprint ${presented[1]} is not registered for device ${deviceId}` };
    }
    const cn: unknown = socket.getPeerCertificate().subject?.CN;
    if (cn !== deviceId) return { ok: false, reason: `certificate CN ${JSON.stringify(cn ?? null)} is not device id ${deviceId}` };
    const issuer = authorities.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
    if (!issuer) return { ok: false, reason: `certificate for ${deviceId} is not signed by a registered CA` };
    return { ok: true, value: undefined };
  };

  const decideConnect = (client: Client, username: string | undefined, password: Buffer | undefined): Verdict<string> => {
    const parsed = parseUsername(username);
    if (!parsed.ok) return parsed;
    const { deviceId } = parsed.value;
    if (parsed.value.hostName.toLowerCase() !== hostName.toLowerCase()) {
      return { ok: false, reason: `user name host ${JSON.stringify(parsed.value.hostName)} is not this hub (${hostName})` };
    }
    if (client.id !== deviceId) return { ok: false, reason: `client id ${JSON.stringify(client.id)} is not the device id ${JSON.stringify(deviceId)} of the user name` };
    const auth = devices.get(deviceId);
    if (!auth) return { ok: false, reason: `device ${deviceId} is not registered` };
    if (auth.type === 'sas') {
      if (password === undefined || password.length === 0) return { ok: false, reason: `device ${deviceId} authenticates with a SAS token and sent no password` };
      const keys = [auth.primaryKey, auth.secondaryKey].filter((k): k is string => k !== undefined);
      const verdict = verifyDeviceSas(password.toString('utf8'), { hostName, deviceId, keys, nowSeconds: Math.floor(Date.now() / 1000) });
      if (!verdict.ok) return verdict;
    } else {
      if (password !== undefined && password.length > 0) return { ok: false, reason: `device ${deviceId} authenticates with X.509 and must not send a password` };
      const verdict = checkCertificate(deviceId, auth, client.conn as tls.TLSSocket);
      if (!verdict.ok) return verdict;
    }
    const will = wills.get(client);
    if (will !== undefined) {
      const w = classifyDevicePublish(deviceId, will);
      if (!w.ok || w.value.kind !== 'event') return { ok: false, reason: `last will topic ${will} is not the device's telemetry topic` };
    }
    return { ok: true, value: deviceId };
  };

  const aedes = await Aedes.createBroker({
    preConnect: (client, packet, done) => {
      wills.set(client, packet.will?.topic);
      protocolVersions.set(client, packet.protocolVersion ?? 4);
      done(null, true);
    },
    authenticate: (client, username, password, done) => {
      if (protocolVersions.get(client) !== 4) {
        refuse('connect', client.id, undefined, `MQTT protocol version ${protocolVersions.get(client)} is not 3.1.1`);
        return done(authError(UNACCEPTABLE_PROTOCOL, 'unacceptable protocol version'), false);
      }
      const decision = decideConnect(client, username, password);
      if (!decision.ok) {
        refuse('connect', client.id, undefined, decision.reason);
        return done(authError(NOT_AUTHORIZED, 'not authorized'), false);
      }
      authenticated.set(client, decision.value);
      done(null, true);
    },
    authorizePublish: (client, packet, done) => {
      // A null client is the hub itself.
      if (!client) return done(null);
      const deviceId = authenticated.get(client);
      const deny = (reason: string): void => {
        refuse('publish', client.id, packet.topic, `${reason}; closing the connection`);
        done(new Error(reason));
      };
      if (deviceId === undefined) return deny('not authenticated');
      if (packet.qos === 2) return deny('QoS 2 is not supported');
      const verdict = classifyDevicePublish(deviceId, packet.topic);
      if (!verdict.ok) return deny(verdict.reason);
      if (verdict.value.kind === 'event' && packet.payload.length > MAX_D2C_BYTES) return deny(`message of ${packet.payload.length} bytes exceeds ${MAX_D2C_BYTES}`);
      done(null);
    },
    authorizeSubscribe: (client, subscription, done) => {
      const deviceId = authenticated.get(client);
      if (deviceId === undefined || !maySubscribe(deviceId, subscription.topic)) {
        refuse('subscribe', client.id, subscription.topic, `device ${deviceId ?? '?'} may not subscribe to ${subscription.topic}`);
        return done(null, null);
      }
      done(null, { ...subscription, qos: subscription.qos > 1 ? 1 : subscription.qos });
    },
  });

  const deliver = (client: Client, topic: string, payload: Buffer | string, qos: 0 | 1): void => {
    const packet: PublishPacket = { cmd: 'publish', topic, payload, qos, retain: false, dup: false };
    client.publish(packet, (err) => {
      if (err) log('debug', `delivery of ${topic} to ${client.id} failed: ${err.message}`);
    });
  };

  /** Sends to a device's current connection if its session is subscribed to the topic. */
  const deliverToDevice = (deviceId: string, topic: string, payload: Buffer | string): boolean => {
    const client = connections.get(deviceId);
    if (!client || !subscribedTo(deviceId, topic)) return false;
    deliver(client, topic, payload, 0);
    return true;
  };

  interface PendingMethod {
    deviceId: string;
    resolve: (r: MethodResult) => void;
    reject: (e: Error) => void;
    timer: NodeJS.Timeout;
  }
  const pendingMethods = new Map<string, PendingMethod>();
  let nextRequestId = 1;

  aedes.on('clientReady', (client) => {
    const deviceId = authenticated.get(client);
    if (deviceId === undefined) return;
    if (client.clean) sessions.delete(deviceId);
    connections.set(deviceId, client);
    log('debug', `device ${deviceId} connected`);
    notify();
  });
  aedes.on('clientDisconnect', (client) => {
    const deviceId = authenticated.get(client);
    if (deviceId !== undefined && connections.get(deviceId) === client) {
      connections.delete(deviceId);
      if (client.clean) sessions.delete(deviceId);
    }
    notify();
  });
  aedes.on('subscribe', (subscriptions, client) => {
    const deviceId = authenticated.get(client);
    if (deviceId === undefined) return;
    for (const s of subscriptions) sessionOf(deviceId).add(s.topic);
    notify();
  });
  aedes.on('unsubscribe', (filters, client) => {
    const deviceId = authenticated.get(client);
    if (deviceId === undefined) return;
    for (const f of filters) sessionOf(deviceId).delete(f);
    notify();
  });
  aedes.on('clientError', (client, err) => log('debug', `client ${client.id}: ${err.message}`));
  aedes.on('connectionError', (_client, err) => log('debug', `connection error: ${err.message}`));
  aedes.on('ack', (packet, client) => {
    if (packet.cmd !== 'publish') return;
    const message = c2d.find((m) => !m.completed && m.topic === packet.topic && m.deviceId === authenticated.get(client));
    if (!message) return;
    message.completed = true;
    notify();
  });

  aedes.on('publish', (packet, client) => {
    if (!client) return;
    const deviceId = authenticated.get(client);
    if (deviceId === undefined) return;
    const verdict = classifyDevicePublish(deviceId, packet.topic);
    if (!verdict.ok) return;
    const request = verdict.value;
    switch (request.kind) {
      case 'event': {
        const properties = { ...request.properties };
        if (packet.retain) properties['mqtt-retain'] = 'true';
        const { system, application } = splitProperties(properties);
        events.push({
          deviceId,
          topic: packet.topic,
          payload: Buffer.from(packet.payload),
          qos: packet.qos,
          properties,
          systemProperties: system,
          applicationProperties: application,
          contentType: system['$.ct'],
          contentEncoding: system['$.ce'],
          messageId: system['$.mid'],
          receivedAt: new Date(),
        });
        break;
      }
      case 'method-response': {
        const pending = pendingMethods.get(request.requestId);
        // A response to another device's request, or to one that timed out, is dropped.
        if (!pending || pending.deviceId !== deviceId) {
          log('debug', `dropped method response ${request.requestId} from ${deviceId}`);
          break;
        }
        pendingMethods.delete(request.requestId);
        clearTimeout(pending.timer);
        pending.resolve({ status: request.status, payload: parseJson(Buffer.from(packet.payload)) });
        break;
      }
      case 'twin-get': {
        const body = JSON.stringify(twinDocument(deviceId));
        if (subscribedTo(deviceId, `$iothub/twin/res/200/?$rid=${request.requestId}`)) {
          deliver(client, `$iothub/twin/res/200/?$rid=${request.requestId}`, body, 0);
        }
        break;
      }
      case 'twin-reported': {
        const patch = parseJson(Buffer.from(packet.payload));
        const twin = twinOf(deviceId);
        let topic: string;
        let body = '';
        if (isPlainObject(patch)) {
          mergePatch(twin.reported, patch);
          twin.reportedVersion += 1;
          topic = `$iothub/twin/res/204/?$rid=${request.requestId}&$version=${twin.reportedVersion}`;
        } else {
          topic = `$iothub/twin/res/400/?$rid=${request.requestId}`;
          body = JSON.stringify({ errorCode: 400004, message: 'reported properties patch must be a JSON object' });
        }
        if (subscribedTo(deviceId, topic)) deliver(client, topic, body, 0);
        break;
      }
    }
    notify();
  });

  const sockets = new Set<Socket>();
  const server = tls.createServer({
    key: serverCert.keyPem,
    cert: serverCert.certPem,
    requestCert: true,
    rejectUnauthorized: false,
  });
  server.on('connection', (socket: Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket) => {
    aedes.handle(socket);
  });
  server.on('tlsClientError', (err) => refuse('tls', undefined, undefined, err.message));

  try {
    server.listen(opts.port ?? 0, '127.0.0.1');
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))]);
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  hostName = `localhost:${port}`;
  log('info', `IoT Hub peer listening on mqtts://${hostName}`);

  let stopping: Promise<void> | undefined;

  return {
    hostName,
    port,
    caPem: serverCa.certPem,
    registerDevice,
    addCertificateAuthority,
    connectionString: (deviceId) => {
      const auth = devices.get(deviceId);
      if (!auth) throw new Error(`device ${deviceId} is not registered`);
      const base = `HostName=${hostName};DeviceId=${deviceId}`;
      return auth.type === 'sas' ? `${base};SharedAccessKey=${auth.primaryKey}` : `${base};x509=true`;
    },
    events: () => events,
    waitForEvent: (predicate, timeoutMs = DEFAULT_WAIT_MS) => waitFor(() => events.find(predicate), timeoutMs, 'a device-to-cloud message'),
    sendC2D: async (deviceId, payload, properties = {}) => {
      if (!devices.has(deviceId)) throw new Error(`device ${deviceId} is not registered`);
      const messageId = properties['$.mid'] ?? randomUUID();
      const bag = { '$.mid': messageId, '$.to': `/devices/${deviceId}/messages/deviceBound`, ...properties };
      const topic = `devices/${deviceId}/messages/devicebound/${encodePropertyBag(bag)}`;
      const body = Buffer.from(payload);
      c2d.push({ deviceId, messageId, topic, payload: body, properties: bag, completed: false });
      await new Promise<void>((resolve, reject) =>
        aedes.publish({ cmd: 'publish', topic, payload: body, qos: 1, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())),
      );
      return messageId;
    },
    c2dMessages: () => c2d,
    waitForC2dCompletion: (messageId, timeoutMs = DEFAULT_WAIT_MS) =>
      waitFor(() => c2d.find((m) => m.messageId === messageId && m.completed), timeoutMs, `completion of C2D message ${messageId}`),
    invokeMethod: (deviceId, methodName, payload, timeoutMs = 30_000) =>
      new Promise<MethodResult>((resolve, reject) => {
        if (!devices.has(deviceId)) return reject(new MethodInvocationError(404, 'DeviceNotFound', `device ${deviceId} is not registered`));
        if (!/^[^/#+?$][^/#+?]*$/.test(methodName)) return reject(new Error(`invalid method name ${JSON.stringify(methodName)}`));
        const requestId = (nextRequestId++).toString(16);
        const topic = `$iothub/methods/POST/${methodName}/?$rid=${requestId}`;
        const timer = setTimeout(() => {
          pendingMethods.delete(requestId);
          reject(new MethodInvocationError(504, 'GatewayTimeout', `device ${deviceId} did not answer ${methodName} within ${timeoutMs} ms`));
        }, timeoutMs);
        pendingMethods.set(requestId, { deviceId, resolve, reject, timer });
        if (!deliverToDevice(deviceId, topic, JSON.stringify(payload ?? null))) {
          clearTimeout(timer);
          pendingMethods.delete(requestId);
          reject(new MethodInvocationError(404, 'DeviceNotOnline', `device ${deviceId} is not connected and subscribed to direct methods`));
        }
      }),
    twin: (deviceId) => twinDocument(deviceId),
    reportedProperties: (deviceId) => structuredClone(twinOf(deviceId).reported),
    waitForReported: (deviceId, predicate, timeoutMs = DEFAULT_WAIT_MS) =>
      waitFor(
        () => {
          const reported = twinOf(deviceId).reported;
          return predicate(reported) ? structuredClone(reported) : undefined;
        },
        timeoutMs,
        `reported properties of ${deviceId}`,
      ),
    updateDesired: (deviceId, patch) => {
      if (!devices.has(deviceId)) throw new Error(`device ${deviceId} is not registered`);
      const twin = twinOf(deviceId);
      mergePatch(twin.desired, patch);
      twin.desiredVersion += 1;
      deliverToDevice(deviceId, `$iothub/twin/PATCH/properties/desired/?$version=${twin.desiredVersion}`, JSON.stringify({ ...patch, $version: twin.desiredVersion }));
      notify();
      return twin.desiredVersion;
    },
    refusals: () => refusals,
    waitForRefusal: (predicate, timeoutMs = DEFAULT_WAIT_MS) => waitFor(() => refusals.find(predicate), timeoutMs, 'a refusal'),
    connectedDevices: () => [...connections.keys()],
    waitForSubscription: (deviceId, filter, timeoutMs = DEFAULT_WAIT_MS) =>
      waitFor(() => (connections.has(deviceId) && sessionOf(deviceId).has(filter) ? true : undefined), timeoutMs, `${deviceId} to subscribe to ${filter}`).then(
        () => undefined,
      ),
    stop: () => {
      stopping ??= (async () => {
        for (const [id, pending] of pendingMethods) {
          clearTimeout(pending.timer);
          pending.reject(new MethodInvocationError(503, 'ServiceUnavailable', 'the hub stopped'));
          pendingMethods.delete(id);
        }
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await serverClosed;
      })();
      return stopping;
    },
  };
}

