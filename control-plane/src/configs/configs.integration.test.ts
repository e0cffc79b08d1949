import { configDigest } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import { enrollTestAgent, login, startTestPlane } from '../testing/plane.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';

type Api = Awaited<ReturnType<typeof login>>;
interface RevisionView { agentId: string; revision: number; sha256: string; document: { devices: { groups: { intervalMs: number }[] }[] }; author: string; comment: string | null; rollbackOf: number | null }

const doc = (intervalMs: number) => ({
  devices: [{ name: 'sim', driver: 'simulator', settings: {}, groups: [{ name: 'g', intervalMs, tags: [{ name: 't', address: 'counter', type: 'uint32' }] }] }],
});

describe('config revisions', () => {
  let db: TestDatabase;
  let plane: ControlPlane;
  let api: Api;
  let fleetId: string;
  let agentId: string;

  const enrollOne = (hardwareId: string) => enrollTestAgent(plane, api, hardwareId);


  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startTestPlane(db.url);
    api = await login(plane);
    fleetId = (await api<{ id: string }[]>('GET', '/api/v1/fleets')).body[0]!.id;
    agentId = await enrollOne('cfg-1');
  });
  afterAll(async () => {
    await plane?.close();
    await db?.drop();
  });

  it('stores a valid document as revision n+1, normalized, with its digest', async () => {
    const res = await api<RevisionView>('PUT', `/api/v1/agents/${agentId}/config`, { document: doc(500), comment: 'faster' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ agentId, revision: 2, author: 'admin', comment: 'faster', rollbackOf: null });
    // Defaults are applied before storing, and the digest is over the normalized document.
    expect(res.body.document).toMatchObject({ schemaVersion: 1, agent: { heartbeatIntervalMs: 10_000 }, northbound: [] });
    expect(res.body.sha256).toBe(configDigest(res.body.document));
    const desired = await api<RevisionView>('GET', `/api/v1/agents/${agentId}/config`);
    expect(desired.body.revision).toBe(2);
    const agent = await api<{ desiredRevision: number }>('GET', `/api/v1/agents/${agentId}`);
    expect(agent.body.desiredRevision).toBe(2);
  });

  it('answers an invalid document with 400 naming every failing path, and stores nothing', async () => {
    const bad = doc(5) as { devices: Record<string, unknown>[] };
    bad.devices.push({ name: 'sim', driver: 'plc9000', groups: [] });
    const res = await api<{ statusCode: number; code: string; message: string; issues: { path: string; message: string }[] }>('PUT', `/api/v1/agents/${agentId}/config`, { document: bad });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    const paths = res.body.issues.map((i) => i.path);
    expect(paths).toContain('devices[0].groups[0].intervalMs');
    expect(paths).toContain('devices[1].driver');
    expect(res.body.message).toContain('devices[0].groups[0].intervalMs: ');
    const desired = await api<RevisionView>('GET', `/api/v1/agents/${agentId}/config`);
    expect(desired.body.revision).toBe(2);
  });

  it('lists revisions newest first with pagination, and reads one', async () => {
    const list = await api<{ items: RevisionView[]; total: number }>('GET', `/api/v1/agents/${agentId}/config/revisions?limit=1`);
    expect(list.body.total).toBe(2);
    expect(list.body.items.map((r) => r.revision)).toEqual([2]);
    const page2 = await api<{ items: RevisionView[] }>('GET', `/api/v1/agents/${agentId}/config/revisions?limit=1&offset=1`);
    expect(page2.body.items.map((r) => r.revision)).toEqual([1]);
    const one = await api<RevisionView>('GET', `/api/v1/agents/${agentId}/config/revisions/1`);
    expect(one.body.revision).toBe(1);
    expect((await api('GET', `/api/v1/agents/${agentId}/config/revisions/99`)).status).toBe(404);
  });

  it('rolls back by creating a new revision with the old document', async () => {
    const r1 = (await api<RevisionView>('GET', `/api/v1/agents/${agentId}/config/revisions/1`)).body;
    const res = await api<RevisionView>('POST', `/api/v1/agents/${agentId}/config/rollback`, { revision: 1 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ revision: 3, rollbackOf: 1, sha256: r1.sha256 });
    expect(res.body.document).toEqual(r1.document);
    expect((await api('POST', `/api/v1/agents/${agentId}/config/rollback`, { revision: 42 })).status).toBe(404);
  });

  it('gives concurrent PUTs distinct consecutive revisions', async () => {
    const before = (await api<RevisionView>('GET', `/api/v1/agents/${agentId}/config`)).body.revision;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => api<RevisionView>('PUT', `/api/v1/agents/${agentId}/config`, { document: doc(100 + i) })));
    expect(results.every((r) => r.status === 201)).toBe(true);
    const numbers = results.map((r) => r.body.revision).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 12 }, (_, i) => before + 1 + i));
  });

  it('returns 404 for the config of an unknown agent', async () => {
    const res = await api('PUT', '/api/v1/agents/00000000-0000-4000-8000-000000000000/config', { document: doc(100) });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('rolls a fleet config out to every agent of the fleet and makes it the template', async () => {
    const second = await enrollOne('cfg-2');
    const before = new Map<string, number>();
    for (const id of [agentId, second]) before.set(id, (await api<RevisionView>('GET', `/api/v1/agents/${id}/config`)).body.revision);
    const res = await api<{ agents: number; revisions: { agentId: string; revision: number }[] }>('PUT', `/api/v1/fleets/${fleetId}/config`, { document: doc(2000), comment: 'fleet-wide' });
    expect(res.status).toBe(200);
    expect(res.body.agents).toBe(2);
    for (const r of res.body.revisions) expect(r.revision).toBe(before.get(r.agentId)! + 1);
    const desired = await api<RevisionView>('GET', `/api/v1/agents/${second}/config`);
    expect(desired.body).toMatchObject({ comment: 'fleet-wide', author: 'admin' });
    expect(desired.body.document.devices[0]!.groups[0]!.intervalMs).toBe(2000);
    const fleet = await api<{ template: unknown }>('GET', `/api/v1/fleets/${fleetId}`);
    expect(fleet.body.template).toEqual(desired.body.document);
    expect((await api('PUT', `/api/v1/fleets/${fleetId}/config`, { document: doc(1) })).status).toBe(400);
  });

  it('filters and paginates agents, and deletes one', async () => {
    const all = await api<{ items: { id: string; syncStatus: string }[]; total: number }>('GET', `/api/v1/agents?fleetId=${fleetId}&limit=1`);
    expect(all.body.total).toBe(2);
    expect(all.body.items).toHaveLength(1);
    expect((await api<{ total: number }>('GET', '/api/v1/agents?status=OFFLINE')).body.total).toBe(2);
    expect((await api<{ total: number }>('GET', '/api/v1/agents?status=IN_SYNC')).body.total).toBe(0);
    expect((await api('GET', '/api/v1/agents?status=BOGUS')).status).toBe(400);
    expect((await api('DELETE', `/api/v1/agents/${agentId}`)).status).toBe(204);
    expect((await api('GET', `/api/v1/agents/${agentId}`)).status).toBe(404);
    expect((await api('DELETE', `/api/v1/agents/${agentId}`)).status).toBe(404);
  });
});
