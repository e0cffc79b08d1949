import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntryView, AuditPage } from '@edgefleet/protocol';
import type { ControlPlane } from '../app/create-control-plane.js';
import { apiClient } from '../testing/http.js';
import { enrollTestAgent, login, startTestPlane } from '../testing/plane.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';

type Api = Awaited<ReturnType<typeof login>>;

const SECRET_1 = 'first-secret-value-4711';
const SECRET_2 = 'second-secret-value-0815';
const doc = (intervalMs: number, secretValue: string) => ({
  devices: [
    { name: 'sim', driver: 'simulator', settings: {}, groups: [{ name: 'g', intervalMs, tags: [{ name: 't', address: 'counter', type: 'uint32' }] }] },
    { name: 'oven', driver: 'opcua', settings: { endpointUrl: 'opc.tcp://oven:4840', userIdentity: { type: 'username', username: 'operator', password: secretValue } }, groups: [] },
  ],
});

describe('audit log', () => {
  let db: TestDatabase;
  let plane: ControlPlane;
  let api: Api;
  let agentId: string;

  const entries = async (query: string): Promise<AuditPage> => {
    const res = await api<AuditPage>('GET', `/api/v1/audit${query}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const latest = async (query: string): Promise<AuditEntryView> => {
    const page = await entries(`${query}${query.includes('?') ? '&' : '?'}limit=1`);
    expect(page.items).toHaveLength(1);
    return page.items[0]!;
  };
  const asUser = async (username: string, role: string) => {
    const password = `${username}-password-long`;
    expect((await api('POST', '/api/v1/users', { username, password, role })).status).toBe(201);
    const res = await apiClient(plane.url)<{ token: string }>('POST', '/api/v1/auth/login', { username, password });
    return apiClient(plane.url, res.body.token);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startTestPlane(db.url);
    api = await login(plane);
    agentId = await enrollTestAgent(plane, api, 'audit-1');
  });
  afterAll(async () => {
    await plane?.close();
    await db?.drop();
  });

  it('records a config PUT and a rollback with actor, ip, revisions and a redacted diff', async () => {
    const first = await api<{ revision: number }>('PUT', `/api/v1/agents/${agentId}/config`, { document: doc(1000, SECRET_1) });
    expect(first.status).toBe(201);
    const second = await api<{ revision: number }>('PUT', `/api/v1/agents/${agentId}/config`, { document: doc(500, SECRET_2), comment: 'faster' });
    expect(second.status).toBe(201);

    const put = await latest(`?action=config.put&targetId=${agentId}`);
    expect(put).toMatchObject({ actor: 'admin', actorRole: 'admin', outcome: 'ok', errorCode: null, targetType: 'agent', targetId: agentId });
    expect(put.sourceIp).toMatch(/127\.0\.0\.1/);
    expect(put.before).toEqual({ revision: first.body.revision });
    expect(put.after).toMatchObject({ revision: second.body.revision });
    const changes = (put.details as { changes: { path: string; secret?: true }[]; comment: string }).changes;
    expect((put.details as { comment: string }).comment).toBe('faster');
    expect(changes.some((c) => c.path.endsWith('intervalMs'))).toBe(true);
    expect(changes.find((c) => c.path.endsWith('password'))).toMatchObject({ secret: true });

    const rolled = await api<{ revision: number }>('POST', `/api/v1/agents/${agentId}/config/rollback`, { revision: first.body.revision });
    expect(rolled.status).toBe(201);
    const rollback = await latest('?action=config.rollback');
    expect(rollback).toMatchObject({ actor: 'admin', outcome: 'ok', targetId: agentId, before: { revision: second.body.revision }, after: { revision: rolled.body.revision } });
    expect((rollback.details as { rollbackOf: number }).rollbackOf).toBe(first.body.revision);

    // No secret, in any entry, however stored.
    const rows = await entries('?limit=1000');
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(SECRET_1);
    expect(stored).not.toContain(SECRET_2);
  });

  it('records refused requests with the error code: a viewer PUT (403) and an invalid document (400)', async () => {
    const viewer = await asUser('audit-viewer', 'viewer');
    expect((await viewer('PUT', `/api/v1/agents/${agentId}/config`, { document: doc(1000, SECRET_1) })).status).toBe(403);
    const forbidden = await latest('?actor=audit-viewer&outcome=refused');
    expect(forbidden).toMatchObject({ actorRole: 'viewer', errorCode: 'FORBIDDEN', action: 'PUT /api/v1/agents/:id/config' });

    expect((await api('PUT', `/api/v1/agents/${agentId}/config`, { document: { devices: 'no' } })).status).toBe(400);
    const invalid = await latest('?action=config.put&outcome=refused');
    expect(invalid).toMatchObject({ actor: 'admin', errorCode: 'VALIDATION_FAILED', targetId: agentId });

    // Not signed in: recorded against nobody.
    expect((await apiClient(plane.url)('DELETE', `/api/v1/agents/${agentId}`)).status).toBe(401);
    expect(await latest('?outcome=refused')).toMatchObject({ actor: null, errorCode: 'UNAUTHENTICATED', action: 'DELETE /api/v1/agents/:id' });
  });

  it('records a token creation without the token', async () => {
    const fleetId = (await api<{ id: string }[]>('GET', '/api/v1/fleets')).body[0]!.id;
    const created = await api<{ id: string; token: string }>('POST', `/api/v1/fleets/${fleetId}/enrollment-tokens`, { labels: { line: '4' }, maxUses: 3, requiresApproval: true });
    expect(created.status).toBe(201);
    const entry = await latest('?action=enrollment-token.create');
    expect(entry).toMatchObject({ targetType: 'enrollment-token', targetId: created.body.id, after: { labels: { line: '4' }, maxUses: 3, requiresApproval: true } });
    expect(JSON.stringify(await entries('?limit=1000'))).not.toContain(created.body.token);
  });

  it('records failed and successful logins, and never a password', async () => {
    const anon = apiClient(plane.url);
    expect((await anon('POST', '/api/v1/auth/login', { username: 'admin', password: 'wrong-password-123' })).status).toBe(401);
    expect(await latest('?action=auth.login-failed')).toMatchObject({ actor: null, outcome: 'refused', errorCode: 'UNAUTHENTICATED', details: { username: 'admin' } });
    expect((await anon('POST', '/api/v1/auth/login', { username: 'admin', password: 'test-admin-password' })).status).toBe(200);
    expect(await latest('?action=auth.login')).toMatchObject({ action: 'auth.login', actor: 'admin', actorRole: 'admin', outcome: 'ok' });
    const all = JSON.stringify(await entries('?limit=1000'));
    expect(all).not.toContain('wrong-password-123');
    expect(all).not.toContain('audit-viewer-password-long');
  });

  it('records a user role change, not the password', async () => {
    const created = await api<{ id: string }>('POST', '/api/v1/users', { username: 'audit-op', password: 'audit-op-password', role: 'operator' });
    expect((await api('PATCH', `/api/v1/users/${created.body.id}`, { role: 'viewer', password: 'another-password-99' })).status).toBe(200);
    const entry = await latest('?action=user.update');
    expect(entry).toMatchObject({ targetId: created.body.id, before: { role: 'operator' }, after: { role: 'viewer' }, details: { passwordChanged: true } });
    expect(JSON.stringify(entry)).not.toContain('another-password-99');
  });

  it('records a tag write to an offline agent as refused AGENT_OFFLINE, with what was written', async () => {
    const res = await api('POST', `/api/v1/agents/${agentId}/tags/write`, { device: 'sim', group: 'g', tag: 't', value: 42 });
    expect(res.status).toBe(409);
    expect(await latest('?action=tag.write')).toMatchObject({
      targetId: agentId,
      outcome: 'refused',
      errorCode: 'AGENT_OFFLINE',
      after: { value: 42 },
      details: { device: 'sim', group: 'g', tag: 't' },
    });
  });

  it('records a change no service described as METHOD and route', async () => {
    const fleetId = (await api<{ id: string }[]>('GET', '/api/v1/fleets')).body[0]!.id;
    // A token id that does not exist: refused by the service after it noted the action.
    expect((await api('DELETE', `/api/v1/fleets/${fleetId}/enrollment-tokens/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect(await latest('?action=enrollment-token.revoke')).toMatchObject({ outcome: 'refused', errorCode: 'NOT_FOUND' });
    // A malformed id is refused by a pipe before any service runs: the entry still exists.
    expect((await api('POST', '/api/v1/agents/not-a-uuid/approve')).status).toBe(404);
    expect(await latest('?action=POST%20')).toMatchObject({ action: 'POST /api/v1/agents/:id/approve', actor: 'admin', outcome: 'refused', errorCode: 'NOT_FOUND' });
  });

  it('skips the diff preview and reads, and filters by time, outcome and target', async () => {
    const before = (await entries('')).total;
    expect((await api('POST', `/api/v1/agents/${agentId}/config/diff`, { document: doc(100, SECRET_1) })).status).toBe(200);
    expect((await entries('')).total).toBe(before);

    const page = await entries(`?targetType=agent&targetId=${agentId}&limit=2&offset=1`);
    expect(page.limit).toBe(2);
    expect(page.offset).toBe(1);
    expect(page.items.every((e) => e.targetId === agentId)).toBe(true);
    const times = (await entries('?limit=1000')).items.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    expect((await entries(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).total).toBe(0);
    expect((await entries(`?until=${encodeURIComponent(new Date(0).toISOString())}`)).total).toBe(0);
    expect((await entries('?outcome=ok&limit=1000')).items.every((e) => e.outcome === 'ok')).toBe(true);
    expect((await entries('?action=config.&limit=1000')).items.map((e) => e.action).sort()).toEqual(expect.arrayContaining(['config.put', 'config.rollback']));
    expect((await api('GET', '/api/v1/audit?bogus=1')).status).toBe(400);
  });

  it('is for admins only', async () => {
    const op = await asUser('audit-operator', 'operator');
    expect((await op('GET', '/api/v1/audit')).status).toBe(403);
  });
});
