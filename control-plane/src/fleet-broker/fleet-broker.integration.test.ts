import mqtt, { type MqttClient } from 'mqtt';
import { CommandRequestSchema, ConfigMessageSchema, configDigest, topics, type ConfigMessage, type StateMessage } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../embedded/broker/index.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { makeCsr } from '../testing/csr.js';
import { eventually } from '../testing/eventually.js';
import { apiClient } from '../testing/http.js';
import type { login } from '../testing/plane.js';
import { startPlaneWithBroker, type PlaneWithBroker } from '../testing/plane-with-broker.js';

type Api = Awaited<ReturnType<typeof login>>;
interface Enrolled { agentId: string; certificate: string; keyPem: string }

const now = () => new Date().toISOString();

function state(over: Partial<StateMessage>): StateMessage {
  return { appliedRevision: null, appliedSha256: null, status: 'applied', revision: null, error: null, devices: [{ name: 'sim', kind: 'simulator', link: 'connected' }], sinks: [], agentVersion: '0.1.0-test', startedAt: now(), at: now(), ...over };
}

describe('fleet broker service (embedded broker, mutual TLS)', () => {
  let env: PlaneWithBroker | undefined;
  let ca: CertificateAuthority;
  let broker: EmbeddedBroker;
  let plane: ControlPlane;
  let api: Api;
  let fleetId: string;
  const clients: MqttClient[] = [];

  async function enroll(hardwareId: string): Promise<Enrolled> {
    const tok = await api<{ token: string }>('POST', `/api/v1/fleets/${fleetId}/enrollment-tokens`, {});
    const { csrPem, keyPem } = await makeCsr();
    const res = await apiClient(plane.url)<{ agentId: string; certificate: string }>('POST', '/api/v1/enrollments', { token: tok.body.token, hardwareId, csr: csrPem });
    expect(res.status).toBe(201);
    return { ...res.body, keyPem };
  }

  /** Connects as the agent itself: its certificate, its id as client id, presence as last will. */
  async function connectAgent(a: Enrolled): Promise<MqttClient> {
    const client = mqtt.connect(broker.url, {
      clientId: a.agentId,
      protocolVersion: 4,
      ca: [ca.certPem],
      cert: a.certificate,
      key: a.keyPem,
      reconnectPeriod: 200,
      will: { topic: topics.presence(a.agentId), payload: Buffer.from(JSON.stringify({ status: 'offline', at: now() })), qos: 1, retain: true },
    });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    return client;
  }

  function nextConfig(client: MqttClient, agentId: string, revision: number): Promise<ConfigMessage> {
    return new Promise((resolve) => {
      const onMessage = (topic: string, payload: Buffer) => {
        if (topic !== topics.config(agentId) || payload.length === 0) return;
        const msg = ConfigMessageSchema.parse(JSON.parse(payload.toString()));
        if (msg.revision === revision) {
          client.off('message', onMessage);
          resolve(msg);
        }
      };
      client.on('message', onMessage);
    });
  }

  const view = async (id: string) => (await api<Record<string, unknown>>('GET', `/api/v1/agents/${id}`)).body;

  beforeAll(async () => {
    env = await startPlaneWithBroker();
    ({ ca, broker, plane, api, fleetId } = env);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await env?.close();
  });

  it('publishes each new revision retained, and the agent receives it', async () => {
    const a = await enroll('mq-1');
    const client = await connectAgent(a);
    const first = nextConfig(client, a.agentId, 1);
    await client.subscribeAsync(topics.config(a.agentId), { qos: 1 });
    expect((await first).sha256).toBe(configDigest((await first).document));

    const second = nextConfig(client, a.agentId, 2);
    const put = await api<{ sha256: string }>('PUT', `/api/v1/agents/${a.agentId}/config`, { document: { devices: [] } });
    expect(put.status).toBe(201);
    const msg = await second;
    expect(msg.sha256).toBe(put.body.sha256);
    expect(configDigest(msg.document)).toBe(msg.sha256);

    // Retained: a late subscriber (a rebooted agent) gets the desired revision at once.
    await client.endAsync(true);
    const again = await connectAgent(a);
    const retained = nextConfig(again, a.agentId, 2);
    await again.subscribeAsync(topics.config(a.agentId), { qos: 1 });
    await retained;
  });

  it('ingests presence, state and heartbeat into the agent view and its sync status', async () => {
    const a = await enroll('mq-2');
    const client = await connectAgent(a);
    expect((await view(a.agentId)).syncStatus).toBe('OFFLINE');
    await client.publishAsync(topics.presence(a.agentId), JSON.stringify({ status: 'online', at: now() }), { qos: 1, retain: true });
    await eventually(async () => expect(await view(a.agentId)).toMatchObject({ online: true, syncStatus: 'PENDING' }));
    expect((await view(a.agentId)).lastSeenAt).not.toBeNull();

    const desired = (await api<{ revision: number; sha256: string }>('GET', `/api/v1/agents/${a.agentId}/config`)).body;
    await client.publishAsync(topics.state(a.agentId), JSON.stringify(state({ appliedRevision: desired.revision, appliedSha256: desired.sha256, revision: desired.revision })), { qos: 1, retain: true });
    await eventually(async () => expect(await view(a.agentId)).toMatchObject({ appliedRevision: 1, syncStatus: 'IN_SYNC', agentVersion: '0.1.0-test', devices: [{ name: 'sim', link: 'connected' }] }));

    const put = await api<{ revision: number }>('PUT', `/api/v1/agents/${a.agentId}/config`, { document: { devices: [] } });
    await eventually(async () => expect(await view(a.agentId)).toMatchObject({ desiredRevision: put.body.revision, syncStatus: 'PENDING' }));
    const error = { code: 'CONFIG_INVALID' as const, message: 'bad', issues: [{ path: 'devices', message: 'nope' }] };
    await client.publishAsync(topics.state(a.agentId), JSON.stringify(state({ appliedRevision: 1, appliedSha256: desired.sha256, status: 'rejected', revision: put.body.revision, error })), { qos: 1, retain: true });
    await eventually(async () => expect(await view(a.agentId)).toMatchObject({ syncStatus: 'FAILED', lastError: { ...error, revision: put.body.revision } }));
    expect((await api<{ items: { id: string }[] }>('GET', '/api/v1/agents?status=FAILED')).body.items.map((x) => x.id)).toContain(a.agentId);

    const heartbeat = { at: now(), uptimeSec: 12, cpuPercent: 1.5, rssBytes: 1000, heapUsedBytes: 500, appliedRevision: 1, devices: [], sinks: [] };
    await client.publishAsync(topics.heartbeat(a.agentId), JSON.stringify(heartbeat), { qos: 0 });
    await eventually(async () => expect((await view(a.agentId)).heartbeat).toEqual(heartbeat));

    // Garbage and unknown agents are dropped without harm.
    await client.publishAsync(topics.state(a.agentId), 'not json', { qos: 1 });
    await client.publishAsync(topics.heartbeat(a.agentId), JSON.stringify({ at: 'yesterday' }), { qos: 1 });
    expect((await apiClient(plane.url)('GET', '/api/v1/health')).body).toMatchObject({ database: 'up', broker: 'connected' });
    expect((await view(a.agentId)).heartbeat).toEqual(heartbeat);

    // The broker publishes the last will when the agent drops.
    client.stream.destroy();
    await eventually(async () => expect(await view(a.agentId)).toMatchObject({ online: false, syncStatus: 'OFFLINE' }));
  });

  it('keeps the newer of two states that arrive out of order (replicas sharing a subscription)', async () => {
    const a = await enroll('mq-order');
    const client = await connectAgent(a);
    await client.publishAsync(topics.presence(a.agentId), JSON.stringify({ status: 'online', at: now() }), { qos: 1, retain: true });
    const desired = (await api<{ revision: number; sha256: string }>('GET', `/api/v1/agents/${a.agentId}/config`)).body;
    const startedAt = now();
    const applied = state({ startedAt, seq: 5, appliedRevision: desired.revision, appliedSha256: desired.sha256, revision: desired.revision });
    // Published first by the agent but delivered later: still applying, no revision yet.
    const older = state({ startedAt, seq: 4, status: 'applying', revision: desired.revision });
    await client.publishAsync(topics.state(a.agentId), JSON.stringify(applied), { qos: 1 });
    await eventually(async () => expect(await view(a.agentId)).toMatchObject({ appliedRevision: desired.revision, syncStatus: 'IN_SYNC' }));
    await client.publishAsync(topics.state(a.agentId), JSON.stringify(older), { qos: 1 });
    // Messages of one agent are written in arrival order: once this heartbeat shows, the older state has been handled.
    const heartbeat = { at: now(), uptimeSec: 1, cpuPercent: 0, rssBytes: 1, heapUsedBytes: 1, appliedRevision: desired.revision, devices: [], sinks: [] };
    await client.publishAsync(topics.heartbeat(a.agentId), JSON.stringify(heartbeat), { qos: 1 });
    await eventually(async () => expect((await view(a.agentId)).heartbeat).toEqual(heartbeat));
    expect(await view(a.agentId)).toMatchObject({ appliedRevision: desired.revision, syncStatus: 'IN_SYNC' });
    // A later run of the agent always wins, whatever its counter says.
    await client.publishAsync(topics.state(a.agentId), JSON.stringify(state({ startedAt: new Date(Date.now() + 1000).toISOString(), seq: 0, status: 'failed', revision: desired.revision, appliedRevision: null, error: { code: 'CONFIG_APPLY_FAILED', message: 'boom' } })), { qos: 1 });
    await eventually(async () => expect(await view(a.agentId)).toMatchObject({ syncStatus: 'FAILED' }));
  });

  it('runs commands: offline → 409, no reply → 504, replies → results or mapped errors', async () => {
    const a = await enroll('mq-3');
    expect((await api('GET', `/api/v1/agents/${a.agentId}/values`)).body).toMatchObject({ statusCode: 409, code: 'AGENT_OFFLINE' });

    const client = await connectAgent(a);
    await client.subscribeAsync(`ef/v1/${a.agentId}/cmd/+`, { qos: 1 });
    await client.publishAsync(topics.presence(a.agentId), JSON.stringify({ status: 'online', at: now() }), { qos: 1, retain: true });
    await eventually(async () => expect((await view(a.agentId)).online).toBe(true));

    const started = Date.now();
    const timeout = await api('GET', `/api/v1/agents/${a.agentId}/values?timeoutMs=300`);
    expect(timeout.status).toBe(504);
    expect(timeout.body).toMatchObject({ code: 'AGENT_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(3000);

    client.on('message', (topic, payload) => {
      if (!topic.includes('/cmd/')) return;
      const req = CommandRequestSchema.parse(JSON.parse(payload.toString()));
      const reply =
        req.command === 'read-values'
          ? { requestId: req.requestId, ok: true, result: { groups: [{ device: 'sim', group: 'fast', timestamp: 1, values: { counter: 7 }, errors: {} }] } }
          : { requestId: req.requestId, ok: false, error: { code: 'TAG_NOT_WRITABLE', message: 'counter is read-only' } };
      void client.publishAsync(topics.reply(a.agentId, req.requestId), JSON.stringify(reply), { qos: 1 });
    });
    const values = await api('GET', `/api/v1/agents/${a.agentId}/values?device=sim`);
    expect(values.status).toBe(200);
    expect(values.body).toEqual({ agentId: a.agentId, groups: [{ device: 'sim', group: 'fast', timestamp: 1, values: { counter: 7 }, errors: {} }] });
    const write = await api('POST', `/api/v1/agents/${a.agentId}/tags/write`, { device: 'sim', group: 'fast', tag: 'counter', value: 1 });
    expect(write.status).toBe(422);
    expect(write.body).toMatchObject({ code: 'TAG_NOT_WRITABLE', message: 'counter is read-only' });
    expect((await api('POST', `/api/v1/agents/${a.agentId}/tags/write`, { device: 'sim', group: 'fast' })).status).toBe(400);
  });

  it('republishes desired configs after the broker restarts (it forgot its retained messages)', async () => {
    const a = await enroll('mq-4');
    const port = broker.port;
    await broker.close();
    const server = await ca.issueServerCertificate('edgefleet-broker', ['localhost', '127.0.0.1'], 30);
    broker = await startEmbeddedBroker({ port, host: '127.0.0.1', tls: { keyPem: server.keyPem, certPem: server.certPem, caPem: [ca.certPem] } });
    await eventually(async () => expect((await apiClient(plane.url)('GET', '/api/v1/health')).body).toMatchObject({ broker: 'connected' }), 10_000);
    const client = await connectAgent(a);
    const retained = nextConfig(client, a.agentId, 1);
    await client.subscribeAsync(topics.config(a.agentId), { qos: 1 });
    await retained;
  });
});
