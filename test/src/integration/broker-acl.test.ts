import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_IDENTITY, planeFilters, sharedFilter, topics } from '@edgefleet/protocol';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../control-plane/src/embedded/broker/index.js';
import { CertificateAuthority } from '../../../control-plane/src/pki/certificate-authority.js';
import { grantedQos } from '../support/mqtt-grants.js';

interface Identity {
  certPem: string;
  keyPem: string;
}

let ca: CertificateAuthority;
let broker: EmbeddedBroker;
let plane: Identity;
const revoked = new Set<string>();
const clients: MqttClient[] = [];

const agentA = randomUUID();
const agentB = randomUUID();
const identities = new Map<string, Identity>();

function connect(id: Identity | undefined, clientId: string, extra: Partial<IClientOptions> = {}, caPem = ca.certPem): Promise<MqttClient> {
  const client = mqtt.connect(broker.url, {
    clientId,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ca: [caPem],
    ...(id ? { key: id.keyPem, cert: id.certPem } : {}),
    ...extra,
  });
  clients.push(client);
  return new Promise((resolve, reject) => {
    const fail = (err?: Error) => {
      client.end(true);
      reject(err ?? new Error('connection closed before CONNACK'));
    };
    client.once('connect', () => {
      client.off('error', fail);
      client.off('close', fail);
      resolve(client);
    });
    client.once('error', fail);
    client.once('close', fail);
  });
}

const asAgent = (agentId: string, extra: Partial<IClientOptions> = {}) => connect(identities.get(agentId), agentId, extra);
const asPlane = () => connect(plane, `${CONTROL_PLANE_IDENTITY}-${randomUUID().slice(0, 8)}`);

const closedOf = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

/** Collects messages on a client, to wait for one or to assert that none arrived. */
function inbox(client: MqttClient) {
  const received: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return {
    received,
    async waitFor(topic: string, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find((m) => m.topic === topic);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no message on ${topic} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

beforeAll(async () => {
  ({ ca } = await CertificateAuthority.create());
  const server = await ca.issueServerCertificate('edgefleet-broker', ['localhost', '127.0.0.1'], 1);
  plane = await ca.issueClientCertificate(CONTROL_PLANE_IDENTITY, 1);
  for (const id of [agentA, agentB]) identities.set(id, await ca.issueClientCertificate(id, 1));
  broker = await startEmbeddedBroker({
    port: 0,
    host: '127.0.0.1',
    tls: { keyPem: server.keyPem, certPem: server.certPem, caPem: [ca.certPem] },
    isRevoked: (cn) => revoked.has(cn),
  });
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await broker?.close();
});

describe('embedded broker: authentication', () => {
  it('refuses a client without a certificate', async () => {
    await expect(connect(undefined, agentA)).rejects.toThrow();
  });

  it('refuses a certificate from another CA', async () => {
    const { ca: other } = await CertificateAuthority.create('Some Other CA');
    const stranger = await other.issueClientCertificate(agentA, 1);
    await expect(connect(stranger, agentA)).rejects.toThrow();
  });

  it('refuses a fleet certificate whose CN is not a fleet identity', async () => {
    const odd = await ca.issueClientCertificate('mallory', 1);
    await expect(connect(odd, 'mallory')).rejects.toThrow(/not authorized/i);
  });

  it('refuses an agent whose client id is not its CN', async () => {
    await expect(connect(identities.get(agentA), agentB)).rejects.toThrow(/not authorized/i);
    await expect(connect(identities.get(agentA), 'something-else')).rejects.toThrow(/not authorized/i);
  });

  it('refuses a control plane whose client id lacks the prefix', async () => {
    await expect(connect(plane, 'my-plane')).rejects.toThrow(/not authorized/i);
  });

  it('refuses a last will outside the agent namespace', async () => {
    const will = { topic: topics.presence(agentB), payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    await expect(asAgent(agentA, { will })).rejects.toThrow(/not authorized/i);
  });

  it('refuses a revoked identity', async () => {
    const id = randomUUID();
    identities.set(id, await ca.issueClientCertificate(id, 1));
    revoked.add(id);
    await expect(asAgent(id)).rejects.toThrow(/not authorized/i);
  });

  it('counts connected clients', async () => {
    const before = broker.clientCount();
    const c = await asAgent(agentB);
    expect(broker.clientCount()).toBe(before + 1);
    await c.endAsync();
  });
});

describe('embedded broker: topic rules', () => {
  it('lets an agent report its state and receive its config and commands', async () => {
    const cp = await asPlane();
    const cpInbox = inbox(cp);
    expect(await grantedQos(cp, planeFilters.state)).toBe(1);
    await cp.publishAsync(topics.config(agentA), '{"revision":1}', { qos: 1, retain: true });

    const a = await asAgent(agentA);
    const aInbox = inbox(a);
    expect(await grantedQos(a, topics.config(agentA))).toBe(1);
    const config = await aInbox.waitFor(topics.config(agentA));
    expect(config).toMatchObject({ payload: '{"revision":1}', retain: true });

    expect(await grantedQos(a, `ef/v1/${agentA}/cmd/+`)).toBe(1);
    await cp.publishAsync(topics.command(agentA, 'r1'), '{"op":"ping"}', { qos: 1 });
    expect((await aInbox.waitFor(topics.command(agentA, 'r1'))).payload).toBe('{"op":"ping"}');

    await a.publishAsync(topics.state(agentA), '{"status":"applied"}', { qos: 1, retain: true });
    expect((await cpInbox.waitFor(topics.state(agentA))).payload).toBe('{"status":"applied"}');
    await a.endAsync();
    await cp.endAsync();
  });

  it('refuses subscriptions outside the agent namespace with SUBACK 0x80', async () => {
    const a = await asAgent(agentA);
    expect(await grantedQos(a, topics.config(agentB))).toBe(128);
    expect(await grantedQos(a, `ef/v1/${agentB}/cmd/+`)).toBe(128);
    expect(await grantedQos(a, 'ef/v1/+/config')).toBe(128);
    expect(await grantedQos(a, '#')).toBe(128);
    expect(await grantedQos(a, `ef/v1/${agentA}/#`)).toBe(128);
    expect(await grantedQos(a, sharedFilter(topics.config(agentA)))).toBe(128);
    expect(await grantedQos(a, topics.state(agentA))).toBe(128);
    await a.endAsync();
  });

  it('drops a forged publish to another agent and disconnects the forger', async () => {
    const b = await asAgent(agentB);
    const bInbox = inbox(b);
    expect(await grantedQos(b, topics.config(agentB))).toBe(1);
    const cp = await asPlane();
    const cpInbox = inbox(cp);
    expect(await grantedQos(cp, planeFilters.state)).toBe(1);

    const a = await asAgent(agentA);
    const closed = closedOf(a);
    a.publish(topics.config(agentB), '{"revision":999}', { qos: 0 });
    await closed;

    const a2 = await asAgent(agentA);
    const closed2 = closedOf(a2);
    a2.publish(topics.state(agentB), '{"forged":true}', { qos: 0 });
    await closed2;

    // A marker through the same broker proves the forged messages would have arrived by now.
    await cp.publishAsync(topics.config(agentB), '{"revision":2}', { qos: 1 });
    await bInbox.waitFor(topics.config(agentB));
    expect(bInbox.received.map((m) => m.payload)).toEqual(['{"revision":2}']);
    expect(cpInbox.received.filter((m) => m.topic === topics.state(agentB))).toEqual([]);
    await b.endAsync();
    await cp.endAsync();
  });

  it('does not let an agent publish its own config or commands', async () => {
    for (const topic of [topics.config(agentA), topics.command(agentA, 'x')]) {
      const a = await asAgent(agentA);
      const closed = closedOf(a);
      a.publish(topic, '{}', { qos: 0 });
      await closed;
    }
  });

  it('delivers the last will to the control plane when an agent vanishes', async () => {
    const cp = await asPlane();
    const cpInbox = inbox(cp);
    expect(await grantedQos(cp, planeFilters.presence)).toBe(1);
    const a = await asAgent(agentA, {
      will: { topic: topics.presence(agentA), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await a.publishAsync(topics.presence(agentA), 'online', { qos: 1, retain: true });
    await cpInbox.waitFor(topics.presence(agentA));
    cpInbox.received.length = 0;
    a.stream.destroy();
    const will = await cpInbox.waitFor(topics.presence(agentA));
    expect(will.payload).toBe('offline');
    await cp.endAsync();
  });

  it('lets the control plane use every agent namespace, but not shared subscriptions or foreign topics', async () => {
    const cp = await asPlane();
    for (const filter of Object.values(planeFilters)) expect(await grantedQos(cp, filter)).toBe(1);
    // aedes 1.x has no shared subscriptions; refusing them makes a misconfigured plane fail loudly.
    expect(await grantedQos(cp, sharedFilter(planeFilters.state))).toBe(128);
    expect(await grantedQos(cp, '#')).toBe(128);
    expect(await grantedQos(cp, '$SYS/#')).toBe(128);
    await cp.publishAsync(topics.config(agentB), '{"revision":3}', { qos: 1, retain: true });
    const closed = closedOf(cp);
    cp.publish('elsewhere/topic', 'x', { qos: 0 });
    await closed;
  });
});
