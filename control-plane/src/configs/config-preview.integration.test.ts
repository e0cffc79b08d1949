import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ConfigPreviewDiffSchema, SECRET_MARKER, type ConfigPreviewDiff } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import { configWithSecrets, newSecrets, secretNeedles, type ConfigWithSecrets } from '../../../protocol/src/testing/config-with-secrets.js';
import { apiClient } from '../testing/http.js';
import { enrollTestAgent, login, startTestPlane } from '../testing/plane.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';

type Api = Awaited<ReturnType<typeof login>>;
interface RevisionView<D = unknown> { revision: number; document: D }
interface ApiErrorBody { statusCode: number; code: string; message: string; issues?: { path: string; message: string }[] }

/** The `plant` MQTT sink's broker settings, where a test edits them. */
const plantBroker = (doc: ConfigWithSecrets) => (doc.northbound.find((sink) => sink.name === 'plant')!.settings as { broker: { password: string; keepaliveSec: number } }).broker;

function expectNoSecrets(value: unknown, needles: string[]): void {
  const text = JSON.stringify(value);
  for (const needle of needles) expect(text).not.toContain(needle);
}

const simDoc = (intervalMs: number) => ({
  devices: [{ name: 'sim', driver: 'simulator', settings: {}, groups: [{ name: 'g', intervalMs, tags: [{ name: 't', address: 'counter', type: 'uint32' }] }] }],
});

describe('POST /agents/{id}/config/diff: what a save would change', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let plane: ControlPlane;
  let api: Api;
  let agentId: string;

  const path = (id = agentId) => `/api/v1/agents/${id}/config`;
  const preview = async (body: unknown, id = agentId) => {
    const res = await api<ConfigPreviewDiff>('POST', `${path(id)}/diff`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return ConfigPreviewDiffSchema.parse(res.body);
  };
  const desiredRevision = async (id = agentId) => (await api<RevisionView>('GET', path(id))).body.revision;
  const revisionCount = async (id = agentId) => Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM "ConfigRevision" WHERE "agentId" = $1', [id])).rows[0]!.n);

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startTestPlane(db.url);
    api = await login(plane);
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    agentId = await enrollTestAgent(plane, api, 'preview-1');
  });
  afterAll(async () => {
    await sql?.end();
    await plane?.close();
    await db?.drop();
  });

  it('compares with the desired revision when nothing is applied, and stores nothing', async () => {
    expect(await desiredRevision()).toBe(1);
    const template = (await api<RevisionView<{ devices: { name: string }[]; northbound: { name: string }[] }>>('GET', path())).body.document;
    const res = await preview({ document: simDoc(250) });
    expect(res.agentId).toBe(agentId);
    expect(res.from).toBe(1);
    // The template's device `sim` has groups fast and slow; the new one has only `g`, and no sink.
    expect(res.changes).toEqual(
      expect.arrayContaining([
        { path: 'devices[0].groups[0]', change: 'added', after: expect.objectContaining({ name: 'g', intervalMs: 250 }) },
        { path: 'devices[0].groups[0]', change: 'removed', before: expect.objectContaining({ name: 'fast' }) },
        { path: 'northbound[0]', change: 'removed', before: expect.objectContaining({ name: template.northbound[0]!.name }) },
      ]),
    );
    expect(await desiredRevision()).toBe(1);
    expect(await revisionCount()).toBe(1);
  });

  it('shows no change for the desired document sent back as the API shows it', async () => {
    const current = (await api<RevisionView>('GET', path())).body.document;
    expect((await preview({ document: current })).changes).toEqual([]);
  });

  it('compares with the applied revision when there is one, or with `from`', async () => {
    const put = await api<RevisionView>('PUT', path(), { document: simDoc(500) });
    expect(put.status).toBe(201);
    // Still nothing applied: the desired revision is the base.
    expect((await preview({ document: simDoc(500) })).changes).toEqual([]);
    // The agent reports revision 1 applied.
    await sql.query('UPDATE "Agent" SET "appliedRevision" = 1 WHERE "id" = $1', [agentId]);
    const againstApplied = await preview({ document: simDoc(500) });
    expect(againstApplied.from).toBe(1);
    expect(againstApplied.changes.length).toBeGreaterThan(0);
    const againstTwo = await preview({ document: simDoc(750), from: put.body.revision });
    expect(againstTwo).toEqual({ agentId, from: put.body.revision, changes: [{ path: 'devices[0].groups[0].intervalMs', change: 'changed', before: 500, after: 750 }] });
    // An applied revision the agent does not have (reported by mistake) falls back to the desired one.
    await sql.query('UPDATE "Agent" SET "appliedRevision" = 99 WHERE "id" = $1', [agentId]);
    expect((await preview({ document: simDoc(500) })).from).toBe(put.body.revision);
    await sql.query('UPDATE "Agent" SET "appliedRevision" = NULL WHERE "id" = $1', [agentId]);
    const missing = await api<ApiErrorBody>('POST', `${path()}/diff`, { document: simDoc(500), from: 99 });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NOT_FOUND');
  });

  it('validates the document exactly like PUT', async () => {
    const bad = simDoc(5) as { devices: Record<string, unknown>[] };
    bad.devices.push({ name: 'sim', driver: 'plc9000', groups: [] });
    const before = await revisionCount();
    for (const document of [bad, undefined, 'text', { devices: 'none' }]) {
      const put = await api<ApiErrorBody>('PUT', path(), { document });
      const diff = await api<ApiErrorBody>('POST', `${path()}/diff`, { document });
      expect(diff.status, JSON.stringify(document)).toBe(400);
      expect(diff.body).toEqual(put.body);
    }
    const issues = (await api<ApiErrorBody>('POST', `${path()}/diff`, { document: bad })).body.issues!.map((i) => i.path);
    expect(issues).toEqual(expect.arrayContaining(['devices[0].groups[0].intervalMs', 'devices[1].driver']));
    expect(await revisionCount()).toBe(before);
  });

  it('validates the request body itself', async () => {
    for (const body of [{ document: simDoc(500), from: 0 }, { document: simDoc(500), from: 'one' }, { document: simDoc(500), comment: 'not here' }]) {
      const res = await api<ApiErrorBody>('POST', `${path()}/diff`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
  });

  describe('with secrets', () => {
    const secrets = newSecrets();
    let shown: ConfigWithSecrets;
    let base: number;

    beforeAll(async () => {
      const put = await api<RevisionView<ConfigWithSecrets>>('PUT', path(), { document: configWithSecrets(secrets) });
      expect(put.status).toBe(201);
      shown = put.body.document;
      base = put.body.revision;
    });

    it('shows no change for the markers sent back', async () => {
      const res = await preview({ document: shown });
      expect(res).toEqual({ agentId, from: base, changes: [] });
    });

    it('flags a changed secret without its value, and a kept one not at all', async () => {
      const edited = structuredClone(shown);
      const changed = newSecrets();
      plantBroker(edited).password = changed.mqttPassword;
      plantBroker(edited).keepaliveSec = 45;
      const res = await preview({ document: edited });
      expect(res.changes).toEqual(
        expect.arrayContaining([
          { path: 'northbound[0].settings.broker.password', change: 'changed', before: SECRET_MARKER, after: SECRET_MARKER, secret: true },
          { path: 'northbound[0].settings.broker.keepaliveSec', change: 'changed', before: 30, after: 45 },
        ]),
      );
      expect(res.changes).toHaveLength(2);
      expectNoSecrets(res, [...secretNeedles(secrets), ...secretNeedles(changed)]);
      expect(await desiredRevision()).toBe(base);
    });

    it('refuses a marker where no secret is stored, as PUT does', async () => {
      const edited = structuredClone(shown);
      edited.devices[0]!.name = 'press-2';
      const put = await api<ApiErrorBody>('PUT', path(), { document: edited });
      const diff = await api<ApiErrorBody>('POST', `${path()}/diff`, { document: edited });
      expect(diff.status).toBe(400);
      expect(diff.body).toEqual(put.body);
      expect(diff.body.issues).toEqual([{ path: 'devices[0].settings.userIdentity.password', message: expect.stringContaining('no secret here to keep') }]);
    });
  });

  it('lists every item as added for an agent with no revision yet', async () => {
    const bare = randomUUID();
    const fleetId = (await api<{ id: string }[]>('GET', '/api/v1/fleets')).body[0]!.id;
    await sql.query(`INSERT INTO "Agent" ("id", "fleetId", "name", "hardwareId", "updatedAt") VALUES ($1, $2, 'bare', 'bare-hw', now())`, [bare, fleetId]);
    const secrets = newSecrets();
    const res = await preview({ document: configWithSecrets(secrets) }, bare);
    expect(res.from).toBeNull();
    expect(res.changes.every((c) => c.change === 'added')).toBe(true);
    expect(res.changes.map((c) => c.path).sort()).toEqual(['agent', 'devices[0]', 'devices[1]', 'northbound[0]', 'northbound[1]', 'northbound[2]', 'northbound[3]', 'northbound[4]', 'schemaVersion']);
    expectNoSecrets(res, secretNeedles(secrets));
    // A marker has nothing to keep here.
    const withMarker = configWithSecrets(secrets);
    plantBroker(withMarker).password = SECRET_MARKER;
    const marker = await api<ApiErrorBody>('POST', `${path(bare)}/diff`, { document: withMarker });
    expect(marker.status).toBe(400);
    expect(marker.body.issues?.map((i) => i.path)).toEqual(['northbound[0].settings.broker.password']);
  });

  it('answers 404 for an unknown agent and 401 without a session', async () => {
    const unknown = await api<ApiErrorBody>('POST', `${path('00000000-0000-4000-8000-000000000000')}/diff`, { document: simDoc(500) });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    expect((await apiClient(plane.url)('POST', `${path()}/diff`, { document: simDoc(500) })).status).toBe(401);
  });
});

