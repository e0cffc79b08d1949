import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { AgentConfigSchema, ConfigMessageSchema, SECRET_MARKER, configDigest, listConfigSecrets, topics, type ConfigMessage } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../testing/csr.js';
import { configWithSecrets, newSecrets, secretNeedles, type ConfigWithSecrets, type TestSecrets } from '../../../protocol/src/testing/config-with-secrets.js';
import { eventually } from '../testing/eventually.js';
import { apiClient } from '../testing/http.js';
import { startPlaneWithBroker, type PlaneWithBroker } from '../testing/plane-with-broker.js';

interface RevisionView { agentId: string; revision: number; sha256: string; document: ConfigWithSecrets }
interface ApiErrorBody { statusCode: number; code: string; issues?: { path: string; message: string }[] }
interface StoredRow { revision: number; sha256: string; document: unknown; text: string }

/** Every secret must be absent from `value` (an answer, a row, the log). */
function expectNoSecrets(value: unknown, secrets: TestSecrets[]): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  for (const needle of secrets.flatMap(secretNeedles)) expect(text, `leaked ${needle.split('-').slice(0, -1).join('-')}`).not.toContain(needle);
}

describe('secrets in configs: sealed at rest, redacted in the API, in clear only to the agent', () => {
  const logLines: string[] = [];
  let env: PlaneWithBroker;
  let db: pg.Client;
  let agentId: string;
  let agent: MqttClient;
  const received = new Map<number, ConfigMessage>();
  const allSecrets: TestSecrets[] = [];

  const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => env.api<T>(method, path, body);
  const configPath = () => `/api/v1/agents/${agentId}/config`;
  const configFor = (revision: number) => eventually(() => {
    const msg = received.get(revision);
    if (!msg) throw new Error(`the agent has not received revision ${revision}`);
    return msg;
  });
  async function storedRevision(revision: number, agent = agentId): Promise<StoredRow> {
    const { rows } = await db.query<StoredRow>('SELECT "revision", "sha256", "document", "document"::text AS "text" FROM "ConfigRevision" WHERE "agentId" = $1 AND "revision" = $2', [agent, revision]);
    if (!rows[0]) throw new Error(`no row for revision ${revision}`);
    return rows[0];
  }
  function fresh(): TestSecrets {
    const s = newSecrets();
    allSecrets.push(s);
    return s;
  }

  beforeAll(async () => {
    env = await startPlaneWithBroker({ logger: 'debug', logDestination: { write: (line: string) => void logLines.push(line) } });
    db = new pg.Client({ connectionString: env.db.url });
    await db.connect();
    const token = await api<{ token: string }>('POST', `/api/v1/fleets/${env.fleetId}/enrollment-tokens`, {});
    const { csrPem, keyPem } = await makeCsr();
    const enrolled = await apiClient(env.plane.url)<{ agentId: string; certificate: string }>('POST', '/api/v1/enrollments', { token: token.body.token, hardwareId: 'secrets-1', csr: csrPem });
    expect(enrolled.status).toBe(201);
    agentId = enrolled.body.agentId;
    agent = mqtt.connect(env.broker.url, { clientId: agentId, protocolVersion: 4, ca: [env.ca.certPem], cert: enrolled.body.certificate, key: keyPem, reconnectPeriod: 200 });
    agent.on('message', (topic, payload) => {
      if (topic !== topics.config(agentId) || payload.length === 0) return;
      const msg = ConfigMessageSchema.parse(JSON.parse(payload.toString()));
      received.set(msg.revision, msg);
    });
    await new Promise<void>((resolve, reject) => {
      agent.once('connect', () => resolve());
      agent.once('error', reject);
    });
    await agent.subscribeAsync(topics.config(agentId), { qos: 1 });
    await configFor(1);
  });
  afterAll(async () => {
    await agent?.endAsync(true);
    await db?.end();
    await env?.close();
  });

  let first: { secrets: TestSecrets; revision: number; sha256: string };

  it('stores every secret sealed, with the digest of the plaintext document', async () => {
    const secrets = fresh();
    const put = await api<RevisionView>('PUT', configPath(), { document: configWithSecrets(secrets), comment: 'with secrets' });
    expect(put.status).toBe(201);
    const normalized = AgentConfigSchema.parse(configWithSecrets(secrets));
    expect(put.body.sha256).toBe(configDigest(normalized));
    first = { secrets, revision: put.body.revision, sha256: put.body.sha256 };

    const row = await storedRevision(first.revision);
    expectNoSecrets(row.text, [secrets]);
    expect(row.sha256).toBe(configDigest(normalized));
    const stored = listConfigSecrets(row.document);
    expect(stored).toHaveLength(8);
    for (const s of stored) expect(s.value).toEqual({ $sealed: expect.stringMatching(/^v1\./) });
  });

  it('answers every API read with the secrets redacted to the marker', async () => {
    const reads = [
      await api<RevisionView>('GET', configPath()),
      await api<RevisionView>('GET', `${configPath()}/revisions/${first.revision}`),
      await api<RevisionView>('PUT', configPath(), { document: configWithSecrets(first.secrets) }),
    ];
    const list = await api<{ items: RevisionView[] }>('GET', `${configPath()}/revisions`);
    for (const res of [...reads, list]) {
      expect(res.status).toBeLessThan(300);
      expectNoSecrets(res.body, [first.secrets]);
    }
    for (const view of [...reads.map((r) => r.body), ...list.body.items.filter((i) => i.revision >= first.revision)]) {
      const shown = listConfigSecrets(view.document);
      expect(shown).toHaveLength(8);
      expect(shown.every((s) => s.value === SECRET_MARKER)).toBe(true);
    }
    // The rest of the document is as stored.
    expect(reads[0]!.body.document.northbound[0]).toMatchObject({ settings: { broker: { username: 'edge', password: SECRET_MARKER, tls: { key: SECRET_MARKER } } } });
    expect(reads[0]!.body.document.devices[0]).toMatchObject({ settings: { userIdentity: { username: 'operator', password: SECRET_MARKER } } });
  });

  it('publishes the plaintext to the agent, matching the digest', async () => {
    const msg = await configFor(first.revision);
    expect(msg.sha256).toBe(first.sha256);
    expect(configDigest(msg.document)).toBe(msg.sha256);
    expect(msg.document).toEqual(AgentConfigSchema.parse(configWithSecrets(first.secrets)));
  });

  it('keeps the stored secrets when a GET → edit → PUT sends the marker back, even with the sinks reordered', async () => {
    const current = (await api<RevisionView>('GET', configPath())).body;
    const edited = structuredClone(current.document);
    edited.northbound.reverse();
    const plant = edited.northbound.find((s) => s.name === 'plant')!.settings as { broker: { keepaliveSec: number } };
    plant.broker.keepaliveSec = 45;
    const put = await api<RevisionView>('PUT', configPath(), { document: edited, comment: 'console round trip' });
    expect(put.status).toBe(201);
    expectNoSecrets(put.body, [first.secrets]);

    const msg = await configFor(put.body.revision);
    const expected = AgentConfigSchema.parse(configWithSecrets(first.secrets));
    expected.northbound.reverse();
    const expectedPlant = expected.northbound.find((s) => s.name === 'plant')!;
    if (expectedPlant.kind !== 'mqtt' || expectedPlant.settings.broker === 'fleet') throw new Error('fixture');
    expectedPlant.settings.broker.keepaliveSec = 45;
    expect(msg.document).toEqual(expected);
    expectNoSecrets((await storedRevision(put.body.revision)).text, [first.secrets]);

    // The diff says what changed; the secrets, unchanged, are not in it.
    const diff = await api<{ changes: { path: string; secret?: boolean }[] }>('GET', `${configPath()}/revisions/${put.body.revision}/diff`);
    expect(diff.status).toBe(200);
    expect(diff.body.changes.some((c) => c.path.endsWith('.keepaliveSec'))).toBe(true);
    expect(diff.body.changes.some((c) => c.secret)).toBe(false);
    expectNoSecrets(diff.body, [first.secrets]);
  });

  it('shows a changed secret in a diff as changed, never its value', async () => {
    const current = (await api<RevisionView>('GET', configPath())).body;
    const edited = structuredClone(current.document);
    const changed = fresh();
    edited.devices[0]!.settings.userIdentity.password = changed.opcuaPassword;
    const put = await api<RevisionView>('PUT', configPath(), { document: edited });
    expect(put.status).toBe(201);
    const diff = await api<{ from: number; to: number; changes: unknown[] }>('GET', `${configPath()}/revisions/${put.body.revision}/diff`);
    expect(diff.body).toEqual({
      agentId,
      from: put.body.revision - 1,
      to: put.body.revision,
      changes: [{ path: 'devices[0].settings.userIdentity.password', change: 'changed', before: SECRET_MARKER, after: SECRET_MARKER, secret: true }],
    });
    const against = await api<{ changes: { path: string; secret?: boolean }[] }>('GET', `${configPath()}/revisions/${put.body.revision}/diff?from=${first.revision}`);
    expect(against.body.changes.filter((c) => c.secret).map((c) => c.path)).toEqual(['devices[0].settings.userIdentity.password']);
    expectNoSecrets([diff.body, against.body], allSecrets);
    expect((await configFor(put.body.revision)).document).toMatchObject({ devices: expect.arrayContaining([expect.objectContaining({ settings: expect.objectContaining({ userIdentity: { type: 'username', username: 'operator', password: changed.opcuaPassword } }) })]) });
    expect((await api('GET', `${configPath()}/revisions/1/diff`)).status).toBe(404);
  });

  it('refuses a marker where no secret is stored with 400 naming the field, and stores nothing', async () => {
    const before = (await api<RevisionView>('GET', configPath())).body;
    const edited = structuredClone(before.document);
    edited.devices[0]!.name = 'press-2';
    edited.devices[0]!.groups = [];
    const res = await api<ApiErrorBody>('PUT', configPath(), { document: edited });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'devices[0].settings.userIdentity.password', message: expect.stringContaining('no secret here to keep') }] });
    expect((await api<RevisionView>('GET', configPath())).body.revision).toBe(before.revision);
  });

  it('rolls back to a revision with secrets: sealed again in the new row, plaintext to the agent', async () => {
    const res = await api<RevisionView>('POST', `${configPath()}/rollback`, { revision: first.revision });
    expect(res.status).toBe(201);
    expect(res.body.sha256).toBe(first.sha256);
    expectNoSecrets(res.body, allSecrets);
    expectNoSecrets((await storedRevision(res.body.revision)).text, allSecrets);
    expect((await configFor(res.body.revision)).document).toEqual(AgentConfigSchema.parse(configWithSecrets(first.secrets)));
  });

  it('still loads a row stored in clear before secrets were sealed', async () => {
    const legacy = fresh();
    const document = AgentConfigSchema.parse(configWithSecrets(legacy));
    const { rows } = await db.query<{ desiredRevision: number }>('UPDATE "Agent" SET "desiredRevision" = "desiredRevision" + 1 WHERE "id" = $1 RETURNING "desiredRevision"', [agentId]);
    const revision = rows[0]!.desiredRevision;
    await db.query('INSERT INTO "ConfigRevision" ("id", "agentId", "revision", "document", "sha256", "author") VALUES (gen_random_uuid(), $1, $2, $3, $4, $5)', [agentId, revision, JSON.stringify(document), configDigest(document), 'before-sealing']);

    const shown = await api<RevisionView>('GET', configPath());
    expect(shown.body.revision).toBe(revision);
    expectNoSecrets(shown.body, [legacy]);
    expect(listConfigSecrets(shown.body.document).every((s) => s.value === SECRET_MARKER)).toBe(true);
    // A round trip keeps its secrets, now sealed.
    const put = await api<RevisionView>('PUT', configPath(), { document: shown.body.document });
    expect(put.status).toBe(201);
    expect(put.body.sha256).toBe(configDigest(document));
    expectNoSecrets((await storedRevision(put.body.revision)).text, [legacy]);
    expect((await configFor(put.body.revision)).document).toEqual(document);
  });

  it('seals a fleet template, redacts it, keeps its secrets on a marker PUT and gives new agents sealed revisions', async () => {
    const secrets = fresh();
    const put = await api<{ revisions: { agentId: string; revision: number }[] }>('PUT', `/api/v1/fleets/${env.fleetId}/config`, { document: configWithSecrets(secrets), comment: 'fleet secrets' });
    expect(put.status).toBe(200);
    const { rows } = await db.query<{ text: string }>('SELECT "template"::text AS "text" FROM "Fleet" WHERE "id" = $1', [env.fleetId]);
    expectNoSecrets(rows[0]!.text, [secrets]);
    expect(rows[0]!.text).toContain('$sealed');
    const mine = put.body.revisions.find((r) => r.agentId === agentId)!;
    expectNoSecrets((await storedRevision(mine.revision)).text, [secrets]);
    expect((await configFor(mine.revision)).document).toEqual(AgentConfigSchema.parse(configWithSecrets(secrets)));

    const fleets = [await api('GET', '/api/v1/fleets'), await api<{ template: unknown }>('GET', `/api/v1/fleets/${env.fleetId}`)];
    for (const res of fleets) expectNoSecrets(res.body, [secrets]);
    const template = (fleets[1]!.body as { template: ConfigWithSecrets }).template;
    expect(listConfigSecrets(template).every((s) => s.value === SECRET_MARKER)).toBe(true);

    // The console's round trip on the fleet: markers keep the template's secrets.
    template.northbound[0]!.settings.topic = 'plant/v2/{device}/{group}';
    const again = await api<{ revisions: { agentId: string; revision: number }[] }>('PUT', `/api/v1/fleets/${env.fleetId}/config`, { document: template });
    expect(again.status).toBe(200);
    const rolled = again.body.revisions.find((r) => r.agentId === agentId)!;
    expect((await configFor(rolled.revision)).document).toMatchObject({ northbound: expect.arrayContaining([expect.objectContaining({ settings: expect.objectContaining({ topic: 'plant/v2/{device}/{group}', broker: expect.objectContaining({ password: secrets.mqttPassword }) }) })]) });
    const wrong = structuredClone(template);
    wrong.northbound[0]!.name = 'plant-renamed';
    const refused = await api<ApiErrorBody>('PUT', `/api/v1/fleets/${env.fleetId}/config`, { document: wrong });
    expect(refused.status).toBe(400);
    expect(refused.body.issues?.map((i) => i.path).sort()).toEqual(['northbound[0].settings.broker.password', 'northbound[0].settings.broker.tls.key']);

    // A new agent's first revision comes from the template: sealed in its row, redacted in the API.
    const token = await api<{ token: string }>('POST', `/api/v1/fleets/${env.fleetId}/enrollment-tokens`, {});
    const enrolled = await apiClient(env.plane.url)<{ agentId: string }>('POST', '/api/v1/enrollments', { token: token.body.token, hardwareId: 'secrets-2', csr: (await makeCsr()).csrPem });
    expect(enrolled.status).toBe(201);
    const row = await storedRevision(1, enrolled.body.agentId);
    expectNoSecrets(row.text, [secrets]);
    expect(listConfigSecrets(row.document)).toHaveLength(8);
    const view = await api<RevisionView>('GET', `/api/v1/agents/${enrolled.body.agentId}/config`);
    expectNoSecrets(view.body, [secrets]);
    expect(view.body.sha256).toBe((await configFor(rolled.revision)).sha256);
  });

  it('never wrote a secret to the log', () => {
    // The log was captured at debug level, and the plane did log (enrollments, publishing).
    expect(logLines.some((l) => l.includes('agent enrolled'))).toBe(true);
    expectNoSecrets(logLines.join('\n'), allSecrets);
  });
});
