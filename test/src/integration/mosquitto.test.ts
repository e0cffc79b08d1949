/**
 * The control side against a real Mosquitto 2.0 instead of the embedded broker: mutual TLS with
 * the certificate CN as user name, the ACL file that encodes the topic rules, and two
 * control-plane replicas on one database splitting ingestion through `$share/edgefleet-cp/…`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority as FleetCa, createControlPlane, loadOrCreateCertificateAuthority } from '@edgefleet/control-plane';
import {
  AgentViewSchema,
  CONTROL_PLANE_IDENTITY,
  ConfigRevisionViewSchema,
  EnrollmentTokenCreatedSchema,
  LoginResponseSchema,
  topics,
  type AgentView,
} from '@edgefleet/protocol';
import { HttpApi } from '../../../control-plane/dist/embedded/http-api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { spawnAgent, type AgentProcess } from '../support/agent-process.js';
import { grantedQos } from '../support/mqtt-grants.js';
import { eventually } from '../support/eventually.js';
import { AgentListSchema, FleetListSchema, simulatorConfig } from '../support/fixtures.js';

type ControlPlane = Awaited<ReturnType<typeof createControlPlane>>;
type CertificateAuthority = Awaited<ReturnType<typeof loadOrCreateCertificateAuthority>>;
interface Identity {
  certPem: string;
  keyPem: string;
}



describe('control plane on Mosquitto (mutual TLS, ACL file, shared subscriptions)', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let ca: CertificateAuthority;
  let broker: Mosquitto;
  const planes: ControlPlane[] = [];
  const apis: HttpApi[] = [];
  const clients: MqttClient[] = [];
  let agent: AgentProcess | undefined;
  let dir: string;
  let agentId: string;

  /** An MQTT 3.1.1 client on Mosquitto with a fleet certificate. */
  async function connect(id: Identity, clientId: string, extra: Partial<IClientOptions> = {}): Promise<MqttClient> {
    const client = mqtt.connect(broker.url, { clientId, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ca: [ca.certPem], key: id.keyPem, cert: id.certPem, ...extra });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error(`connection of ${clientId} closed before CONNACK; broker output:\n${broker.output()}`)));
    });
    return client;
  }
  const asPlane = async () => connect(await ca.issueClientCertificate(CONTROL_PLANE_IDENTITY, 1), `${CONTROL_PLANE_IDENTITY}-x-${randomBytes(4).toString('hex')}`);
  const asAgent = async (id: string) => connect(await ca.issueClientCertificate(id, 1), id);
  const messages = (client: MqttClient) => {
    const seen: { topic: string; payload: string }[] = [];
    client.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    return seen;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const view = (api: HttpApi, id: string) => api.request('GET', `/api/v1/agents/${id}`, undefined, AgentViewSchema);
  const waitSync = (api: HttpApi, id: string, revision: number, what: string) =>
    eventually(async () => {
      const v = await view(api, id);
      return v.online && v.syncStatus === 'IN_SYNC' && v.desiredRevision === revision && v.appliedRevision === revision ? v : undefined;
    }, `agent online and IN_SYNC at revision ${revision} on ${what}`);

  beforeAll(async () => {
    db = await createTestDatabase();
    const masterKey = randomBytes(32);
    const adminPassword = `test-${randomBytes(9).toString('base64url')}`;
    ca = await loadOrCreateCertificateAuthority(db.url, masterKey);
    broker = await startMosquitto({ ca });
    // One after the other: the first creates the admin user, the second finds it.
    for (let i = 0; i < 2; i++) {
      const plane = await createControlPlane({
        port: 0,
        host: '127.0.0.1',
        databaseUrl: db.url,
        masterKey,
        adminPassword,
        broker: { url: broker.url, caPem: [ca.certPem], sharedSubscriptions: true },
        publicBrokerUrl: broker.url,
        logger: false,
      });
      planes.push(plane);
      apis.push(new HttpApi(`http://127.0.0.1:${plane.port}`));
    }
    // Log in on replica 1; replica 2 accepts the same token.
    const login = await apis[0]!.request('POST', '/api/v1/auth/login', { username: 'admin', password: adminPassword }, LoginResponseSchema);
    for (const api of apis) api.token = login.token;
    dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-mosquitto-agent-'));
  });

  afterAll(async () => {
    await agent?.stop();
    for (const c of clients) c.end(true);
    await Promise.allSettled(planes.map((p) => p.close()));
    await broker?.stop();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('enrolls a real agent through replica 1; both replicas see it online and IN_SYNC', async () => {
    const [one, two] = apis as [HttpApi, HttpApi];
    const fleets = await one.request('GET', '/api/v1/fleets', undefined, FleetListSchema);
    const fleetId = (fleets.find((f) => f.name === 'default') ?? fleets[0])!.id;
    const token = await one.request('POST', `/api/v1/fleets/${fleetId}/enrollment-tokens`, { description: 'mosquitto', maxUses: 1 }, EnrollmentTokenCreatedSchema);
    agent = await spawnAgent({ stateDir: path.join(dir, 'agent'), controlPlaneUrl: one.baseUrl, token: token.token, name: 'mosq-agent', hardwareId: 'hw-mosq' });
    const found = await eventually(async () => {
      const items = (await one.request('GET', '/api/v1/agents', undefined, AgentListSchema)).items;
      return items.find((a) => a.name === 'mosq-agent');
    }, `the enrolled agent; agent output:\n${agent.output()}`);
    agentId = found.id;
    const onOne: AgentView = await waitSync(one, agentId, 1, 'replica 1');
    const onTwo: AgentView = await waitSync(two, agentId, 1, 'replica 2');
    expect(onOne.online && onTwo.online).toBe(true);
    expect(onTwo.lastSeenAt).not.toBeNull();
  });

  it('applies a config PUT through replica 2 and shows IN_SYNC at the new revision on replica 1', async () => {
    const [one, two] = apis as [HttpApi, HttpApi];
    const rev = await two.request('PUT', `/api/v1/agents/${agentId}/config`, { document: simulatorConfig({ extraTag: true }) }, ConfigRevisionViewSchema);
    expect(rev.revision).toBe(2);
    const synced = await waitSync(one, agentId, 2, 'replica 1');
    expect(synced.appliedRevision).toBe(2);
  });

  it('answers live values from either replica (each hears its own replies)', async () => {
    for (const api of apis) {
      const res = await eventually(async () => {
        const r = await api.send('GET', `/api/v1/agents/${agentId}/values`);
        return r.status === 200 ? r : undefined;
      }, `values through ${api.baseUrl}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ agentId });
    }
  });

  it('splits a shared subscription between two plane identities: disjoint sets adding up to all messages', async () => {
    const x = await asPlane();
    const y = await asPlane();
    const group = `g${randomBytes(3).toString('hex')}`;
    for (const c of [x, y]) expect(await grantedQos(c, `$share/${group}/ef/v1/+/heartbeat`)).toBe(1);
    const gotX = messages(x);
    const gotY = messages(y);
    const sender = randomUUID();
    const pub = await asAgent(sender);
    for (let seq = 0; seq < 20; seq++) await pub.publishAsync(topics.heartbeat(sender), JSON.stringify({ seq, uptimeS: seq }), { qos: 1 });
    await eventually(async () => gotX.length + gotY.length >= 20, `20 heartbeats across the group (got ${gotX.length} + ${gotY.length})`, 5_000, 20);
    await sleep(300);
    const seqX = gotX.map((m) => (JSON.parse(m.payload) as { seq: number }).seq);
    const seqY = gotY.map((m) => (JSON.parse(m.payload) as { seq: number }).seq);
    expect(seqX.length).toBeGreaterThan(0);
    expect(seqY.length).toBeGreaterThan(0);
    expect(seqX.filter((s) => seqY.includes(s))).toEqual([]);
    expect([...seqX, ...seqY].sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('refuses a client without a certificate and one whose certificate another CA signed', async () => {
    const bare = mqtt.connect(broker.url, { clientId: randomUUID(), protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ca: [ca.certPem] });
    clients.push(bare);
    const outcome = new Promise<string>((resolve) => {
      bare.once('connect', () => resolve('connected'));
      bare.once('error', () => resolve('refused'));
      bare.once('close', () => resolve('refused'));
    });
    expect(await outcome).toBe('refused');
    const { ca: other } = await FleetCa.create('Some Other CA');
    const id = randomUUID();
    const stranger = await other.issueClientCertificate(id, 1);
    await expect(connect(stranger, id)).rejects.toThrow();
  });

  it('does not tie the client id to the CN (unlike the embedded broker), but the ACL follows the CN', async () => {
    const mallory = randomUUID();
    const victim = randomUUID();
    const plane = await asPlane();
    const all = messages(plane);
    await plane.subscribeAsync(`ef/v1/${victim}/#`, { qos: 1 });
    // Accepted: Mosquitto has no rule binding the client id to the certificate.
    const m = await connect(await ca.issueClientCertificate(mallory, 1), victim);
    await m.publishAsync(topics.state(victim), '{"forged":true}', { qos: 1 });
    await sleep(500);
    expect(all).toEqual([]);
    // Any CN the fleet CA signed gets in; its rights are the pattern rules on its own name.
    const odd = await connect(await ca.issueClientCertificate('mallory', 1), 'mallory');
    await odd.publishAsync(topics.state(victim), '{"forged":true}', { qos: 1 });
    await sleep(500);
    expect(all).toEqual([]);
  });

  it('keeps an agent out of another agent’s config', async () => {
    const mallory = randomUUID();
    const victim = randomUUID();
    const plane = await asPlane();
    const m = await asAgent(mallory);
    const got = messages(m);
    // Mosquitto 2.0 grants an MQTT 3.1.1 subscription whatever the ACL says (the SUBACK cannot
    // tell), and then checks every message against the ACL before delivering it.
    expect(await grantedQos(m, topics.config(victim))).toBe(1);
    await m.subscribeAsync(['ef/v1/+/config', 'ef/v1/#', '#'], { qos: 1 });
    await plane.publishAsync(topics.config(victim), '{"revision":7}', { qos: 1, retain: true });
    await sleep(1_000);
    expect(got).toEqual([]);
    // Control: its own config does arrive.
    await plane.publishAsync(topics.config(mallory), '{"revision":1}', { qos: 1, retain: true });
    expect(await grantedQos(m, topics.config(mallory))).toBe(1);
    await eventually(async () => got.some((g) => g.topic === topics.config(mallory)), 'its own config');
    expect(got.every((g) => g.topic === topics.config(mallory))).toBe(true);
    for (const id of [victim, mallory]) await plane.publishAsync(topics.config(id), '', { qos: 1, retain: true });
  });

  it('drops an agent’s publish on another agent’s state topic (and on its own config) before it reaches the plane', async () => {
    const mallory = randomUUID();
    const victim = randomUUID();
    const plane = await asPlane();
    const all = messages(plane);
    // Only what concerns these two identities (the enrolled agent's retained state arrives too).
    const mine = () => all.filter((g) => g.topic.includes(mallory) || g.topic.includes(victim));
    expect(await grantedQos(plane, 'ef/v1/+/state')).toBe(1);
    expect(await grantedQos(plane, topics.config(mallory))).toBe(1);
    const m = await asAgent(mallory);
    await m.publishAsync(topics.state(victim), '{"forged":true}', { qos: 1 });
    await m.publishAsync(topics.config(mallory), '{"revision":99}', { qos: 1, retain: true });
    await sleep(1_000);
    expect(mine()).toEqual([]);
    // Control: its own state does reach the plane, on the same connection.
    await m.publishAsync(topics.state(mallory), '{"own":true}', { qos: 1 });
    await eventually(async () => mine().some((g) => g.topic === topics.state(mallory)), 'its own state');
    expect(mine().map((g) => g.topic)).toEqual([topics.state(mallory)]);
  });
});
