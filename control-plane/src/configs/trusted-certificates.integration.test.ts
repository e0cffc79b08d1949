import mqtt, { type MqttClient } from 'mqtt';
import { ConfigMessageSchema, configDigest, topics, type AgentConfig, type ConfigMessage } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import type { EmbeddedBroker } from '../embedded/broker/index.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { makeCsr } from '../testing/csr.js';
import { eventually } from '../testing/eventually.js';
import { apiClient } from '../testing/http.js';
import type { login } from '../testing/plane.js';
import { startPlaneWithBroker, type PlaneWithBroker } from '../testing/plane-with-broker.js';

type Api = Awaited<ReturnType<typeof login>>;
interface RevisionView { agentId: string; revision: number; sha256: string; document: AgentConfig; author: string; comment: string | null }
interface ApiError { statusCode: number; code: string; message: string; issues?: { path: string; message: string }[] }

const FP1 = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';
const FP1_NORMAL = 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789';
const FP2 = '0f'.repeat(32);
const fp = (i: number) => i.toString(16).padStart(64, '0');

const document = {
  devices: [
    { name: 'sim', driver: 'simulator', settings: {}, groups: [{ name: 'g', intervalMs: 1000, tags: [{ name: 't', address: 'counter', type: 'uint32' }] }] },
    { name: 'oven', driver: 'opcua', settings: { endpointUrl: 'opc.tcp://oven:4840', securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' }, groups: [] },
    { name: 'line', driver: 'opcua', settings: { endpointUrl: 'opc.tcp://line:4840', trustedServerCertificates: [FP2] }, groups: [] },
  ],
};

const trustedOf = (doc: AgentConfig, device: string): string[] => {
  const d = doc.devices.find((x) => x.name === device);
  if (d?.driver !== 'opcua') throw new Error(`no OPC UA device ${device}`);
  return d.settings.trustedServerCertificates;
};

/**
 * Trusting an OPC UA server certificate through the API: a config revision like any other, made
 * from the desired one under the agent's lock, published to the agent.
 */
describe('trusted server certificates', () => {
  let env: PlaneWithBroker | undefined;
  let ca: CertificateAuthority;
  let broker: EmbeddedBroker;
  let plane: ControlPlane;
  let api: Api;
  let fleetId: string;
  const clients: MqttClient[] = [];

  async function enroll(hardwareId: string) {
    const tok = await api<{ token: string }>('POST', `/api/v1/fleets/${fleetId}/enrollment-tokens`, {});
    const { csrPem, keyPem } = await makeCsr();
    const res = await apiClient(plane.url)<{ agentId: string; certificate: string }>('POST', '/api/v1/enrollments', { token: tok.body.token, hardwareId, csr: csrPem });
    expect(res.status).toBe(201);
    const put = await api<RevisionView>('PUT', `/api/v1/agents/${res.body.agentId}/config`, { document });
    expect(put.status).toBe(201);
    return { agentId: res.body.agentId, certificate: res.body.certificate, keyPem, revision: put.body.revision };
  }

  const path = (agentId: string, device: string) => `/api/v1/agents/${agentId}/devices/${device}/trusted-certificates`;
  const desired = async (agentId: string) => (await api<RevisionView>('GET', `/api/v1/agents/${agentId}/config`)).body;

  beforeAll(async () => {
    env = await startPlaneWithBroker();
    ({ ca, broker, plane, api, fleetId } = env);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await env?.close();
  });

  it('trusts a fingerprint in a new revision authored by the user, normalised, and only once', async () => {
    const a = await enroll('trust-1');
    const res = await api<RevisionView>('POST', path(a.agentId, 'oven'), { fingerprint: FP1 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ agentId: a.agentId, revision: a.revision + 1, author: 'admin', comment: `trust the server certificate ${FP1.toLowerCase()} of device 'oven'` });
    expect(trustedOf(res.body.document, 'oven')).toEqual([FP1_NORMAL]);
    expect(res.body.sha256).toBe(configDigest(res.body.document));
    // Nothing else of the document changed.
    const before = (await api<RevisionView>('GET', `/api/v1/agents/${a.agentId}/config/revisions/${a.revision}`)).body.document;
    expect(res.body.document).toEqual({ ...before, devices: before.devices.map((d) => (d.name === 'oven' && d.driver === 'opcua' ? { ...d, settings: { ...d.settings, trustedServerCertificates: [FP1_NORMAL] } } : d)) });

    // Already trusted, in either spelling: 200 with the desired revision, no new one.
    for (const again of [FP1, FP1_NORMAL]) {
      const same = await api<RevisionView>('POST', path(a.agentId, 'oven'), { fingerprint: again });
      expect(same.status).toBe(200);
      expect(same.body.revision).toBe(a.revision + 1);
    }
    expect((await desired(a.agentId)).revision).toBe(a.revision + 1);

    // A second one is appended after those already trusted.
    const line = await api<RevisionView>('POST', path(a.agentId, 'line'), { fingerprint: FP1_NORMAL });
    expect(line.status).toBe(201);
    expect(trustedOf(line.body.document, 'line')).toEqual([FP2, FP1_NORMAL]);
    expect(trustedOf(line.body.document, 'oven')).toEqual([FP1_NORMAL]);
  });

  it('distrusts a fingerprint in a new revision, idempotently', async () => {
    const a = await enroll('trust-2');
    const removed = await api<RevisionView>('DELETE', `${path(a.agentId, 'line')}/${FP2.toUpperCase()}`);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ revision: a.revision + 1, author: 'admin', comment: `distrust the server certificate ${FP2.replace(/(..)(?!$)/g, '$1:')} of device 'line'` });
    expect(trustedOf(removed.body.document, 'line')).toEqual([]);
    const again = await api<RevisionView>('DELETE', `${path(a.agentId, 'line')}/${FP2}`);
    expect(again.status).toBe(200);
    expect(again.body.revision).toBe(a.revision + 1);
    const list = await api<{ items: RevisionView[] }>('GET', `/api/v1/agents/${a.agentId}/config/revisions`);
    expect(list.body.items.map((r) => r.revision)).toEqual([a.revision + 1, a.revision, 1]);
  });

  it('refuses an unknown device (404), a device that is not OPC UA and a malformed fingerprint (400), changing nothing', async () => {
    const a = await enroll('trust-3');
    expect((await api<ApiError>('POST', path(a.agentId, 'press'), { fingerprint: FP1 })).body).toEqual({
      statusCode: 404,
      code: 'NOT_FOUND',
      message: "The desired config has no device named 'press'",
    });
    expect((await api<ApiError>('DELETE', `${path(a.agentId, 'press')}/${FP1_NORMAL}`)).body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    const sim = await api<ApiError>('POST', path(a.agentId, 'sim'), { fingerprint: FP1 });
    expect(sim.body).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      issues: [{ path: 'device', message: "'sim' is a simulator device; only OPC UA devices have trusted server certificates" }],
    });
    const malformed = await api<ApiError>('POST', path(a.agentId, 'oven'), { fingerprint: 'abc123' });
    expect(malformed.body).toMatchObject({ statusCode: 400, issues: [{ path: 'fingerprint', message: 'must be a SHA-256 fingerprint (64 hex digits, colons optional)' }] });
    expect((await api<ApiError>('POST', path(a.agentId, 'oven'), {})).body).toMatchObject({ statusCode: 400, issues: [{ path: 'fingerprint', message: 'is required' }] });
    expect((await api<ApiError>('POST', path(a.agentId, 'oven'), { fingerprint: FP1, trusted: true })).body).toMatchObject({ statusCode: 400 });
    expect((await api<ApiError>('DELETE', `${path(a.agentId, 'oven')}/not-a-fingerprint`)).body).toMatchObject({ statusCode: 400, issues: [{ path: 'fingerprint' }] });
    const unknownAgent = await api<ApiError>('POST', path('00000000-0000-4000-8000-00000000abcd', 'oven'), { fingerprint: FP1 });
    expect(unknownAgent.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect((await desired(a.agentId)).revision).toBe(a.revision);
  });

  it('validates the changed document like any config: a device trusts at most 32 certificates', async () => {
    const a = await enroll('trust-4');
    let revision = a.revision;
    for (let i = 0; i < 31; i++) revision = (await api<RevisionView>('POST', path(a.agentId, 'line'), { fingerprint: fp(i) })).body.revision;
    expect(revision).toBe(a.revision + 31);
    const full = await api<ApiError>('POST', path(a.agentId, 'line'), { fingerprint: fp(99) });
    expect(full.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', issues: [{ path: 'devices[2].settings.trustedServerCertificates', message: 'must be at most 32 items' }] });
    expect((await desired(a.agentId)).revision).toBe(revision);
  });

  it('lands every one of concurrent trusts: each edits the revision the previous one made', async () => {
    const a = await enroll('trust-5');
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => api<RevisionView>('POST', path(a.agentId, 'oven'), { fingerprint: fp(1000 + i) })));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(results.map((r) => r.body.revision).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6].map((n) => a.revision + n));
    const trusted = trustedOf((await desired(a.agentId)).document, 'oven');
    expect([...trusted].sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => fp(1000 + i)));
  });

  it('publishes the new revision to the agent', async () => {
    const a = await enroll('trust-6');
    const client = mqtt.connect(broker.url, { clientId: a.agentId, protocolVersion: 4, ca: [ca.certPem], cert: a.certificate, key: a.keyPem, reconnectPeriod: 200 });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const messages: ConfigMessage[] = [];
    client.on('message', (topic, payload) => {
      if (topic === topics.config(a.agentId) && payload.length > 0) messages.push(ConfigMessageSchema.parse(JSON.parse(payload.toString())));
    });
    await client.subscribeAsync(topics.config(a.agentId), { qos: 1 });
    await eventually(() => expect(messages.at(-1)?.revision).toBe(a.revision));

    const trusted = await api<RevisionView>('POST', path(a.agentId, 'oven'), { fingerprint: FP1 });
    const msg = await eventually(() => {
      const m = messages.find((x) => x.revision === trusted.body.revision);
      expect(m).toBeDefined();
      return m!;
    });
    expect(msg.sha256).toBe(trusted.body.sha256);
    expect(trustedOf(msg.document as AgentConfig, 'oven')).toEqual([FP1_NORMAL]);

    const distrusted = await api<RevisionView>('DELETE', `${path(a.agentId, 'oven')}/${FP1_NORMAL}`);
    const back = await eventually(() => {
      const m = messages.find((x) => x.revision === distrusted.body.revision);
      expect(m).toBeDefined();
      return m!;
    });
    expect(trustedOf(back.document as AgentConfig, 'oven')).toEqual([]);
  });
});
