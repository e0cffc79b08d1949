import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import { apiClient } from '../testing/http.js';
import { login, startTestPlane } from '../testing/plane.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';

interface UserBody {
  id: string;
  username: string;
  role: string;
  createdAt: string;
  updatedAt: string;
}

const PASSWORD = 'a-long-enough-password';

describe('users API (PostgreSQL)', () => {
  let db: TestDatabase;
  let plane: ControlPlane;
  let admin: Awaited<ReturnType<typeof login>>;
  let adminId: string;

  async function signIn(username: string, password = PASSWORD) {
    const res = await apiClient(plane.url)<{ token: string }>('POST', '/api/v1/auth/login', { username, password });
    return { status: res.status, api: apiClient(plane.url, res.body.token) };
  }

  async function createUser(username: string, role: string, password = PASSWORD): Promise<UserBody> {
    const res = await admin<UserBody>('POST', '/api/v1/users', { username, password, role });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    // Many sign-ins here; the login rate limit has its own test.
    plane = await startTestPlane(db.url, { rateLimits: { loginPerMinute: 1000 } });
    admin = await login(plane);
    adminId = (await admin<{ id: string }>('GET', '/api/v1/auth/me')).body.id;
  });
  afterAll(async () => {
    await plane?.close();
    await db?.drop();
  });

  it('creates a user who can sign in with their role, and never shows a password hash', async () => {
    const created = await admin<UserBody>('POST', '/api/v1/users', { username: 'vera', password: PASSWORD, role: 'viewer' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['createdAt', 'id', 'role', 'updatedAt', 'username']);
    expect(created.body).toMatchObject({ username: 'vera', role: 'viewer' });
    const list = await admin<UserBody[]>('GET', '/api/v1/users');
    expect(list.status).toBe(200);
    expect(list.body.map((u) => [u.username, u.role])).toEqual([
      ['admin', 'admin'],
      ['vera', 'viewer'],
    ]);
    expect(JSON.stringify(list.body)).not.toMatch(/scrypt|passwordHash/);
    const vera = await signIn('vera');
    expect(vera.status).toBe(200);
    expect((await vera.api('GET', '/api/v1/auth/me')).body).toMatchObject({ username: 'vera', role: 'viewer' });
  });

  it('refuses short passwords, bad names, unknown roles and taken names', async () => {
    const short = await admin<{ code: string; issues: { path: string; message: string }[] }>('POST', '/api/v1/users', { username: 'sam', password: 'short', role: 'viewer' });
    expect(short.status).toBe(400);
    expect(short.body.issues).toEqual([{ path: 'password', message: 'must be at least 12 characters' }]);
    const bad = await admin<{ issues: { path: string }[] }>('POST', '/api/v1/users', { username: ' sam', password: PASSWORD, role: 'root' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i) => i.path).sort()).toEqual(['role', 'username']);
    await createUser('taken', 'viewer');
    const dup = await admin('POST', '/api/v1/users', { username: 'taken', password: PASSWORD, role: 'operator' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'CONFLICT' });
  });

  it('changes a role and ends the sessions, so the old role cannot be used any more', async () => {
    const user = await createUser('olga', 'viewer');
    const before = await signIn('olga');
    const res = await admin<UserBody>('PATCH', `/api/v1/users/${user.id}`, { role: 'operator' });
    expect(res.status).toBe(200);
    expect(res.body.role).toBe('operator');
    expect((await before.api('GET', '/api/v1/auth/me')).status).toBe(401);
    const after = await signIn('olga');
    expect((await after.api('GET', '/api/v1/auth/me')).body).toMatchObject({ role: 'operator' });
  });

  it('changes a password and ends the sessions', async () => {
    const user = await createUser('pete', 'operator');
    const before = await signIn('pete');
    const newPassword = 'another-long-password';
    expect((await admin('PATCH', `/api/v1/users/${user.id}`, { password: newPassword })).status).toBe(200);
    expect((await before.api('GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await signIn('pete')).status).toBe(401);
    expect((await signIn('pete', newPassword)).status).toBe(200);
  });

  it('refuses an empty change and answers 404 for an unknown user', async () => {
    const user = await createUser('quinn', 'viewer');
    const empty = await admin('PATCH', `/api/v1/users/${user.id}`, {});
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await admin('PATCH', `/api/v1/users/${unknown}`, { role: 'viewer' })).status).toBe(404);
    expect((await admin('DELETE', `/api/v1/users/${unknown}`)).status).toBe(404);
  });

  it('deletes a user, ending their sessions', async () => {
    const user = await createUser('dora', 'operator');
    const session = await signIn('dora');
    expect((await admin('DELETE', `/api/v1/users/${user.id}`)).status).toBe(204);
    expect((await session.api('GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await signIn('dora')).status).toBe(401);
    expect((await admin<UserBody[]>('GET', '/api/v1/users')).body.map((u) => u.username)).not.toContain('dora');
  });

  it('refuses to delete yourself or to demote the last admin', async () => {
    const self = await admin('DELETE', `/api/v1/users/${adminId}`);
    expect(self.status).toBe(409);
    expect(self.body).toMatchObject({ code: 'CANNOT_DELETE_SELF' });
    const demote = await admin('PATCH', `/api/v1/users/${adminId}`, { role: 'operator' });
    expect(demote.status).toBe(409);
    expect(demote.body).toMatchObject({ code: 'LAST_ADMIN', message: 'This is the last admin; make another user admin first' });
    expect((await admin('GET', '/api/v1/auth/me')).body).toMatchObject({ role: 'admin' });
  });

  it('keeps one admin when two admins demote each other at the same time', async () => {
    const a = await createUser('ada', 'admin');
    const b = await createUser('bob', 'admin');
    // The first admin steps down so that ada and bob are the only two.
    const second = await signIn('ada');
    expect((await second.api('PATCH', `/api/v1/users/${adminId}`, { role: 'viewer' })).status).toBe(200);
    const ada = await signIn('ada');
    const bob = await signIn('bob');
    const [byAda, byBob] = await Promise.all([
      ada.api('PATCH', `/api/v1/users/${b.id}`, { role: 'viewer' }),
      bob.api('PATCH', `/api/v1/users/${a.id}`, { role: 'viewer' }),
    ]);
    const statuses = [byAda.status, byBob.status].sort();
    expect(statuses[0]).toBe(200);
    // The loser either got in before the winner ended its session (409 LAST_ADMIN) or after (401).
    expect([401, 409]).toContain(statuses[1]);
    const users = (await (byAda.status === 200 ? ada : bob).api<UserBody[]>('GET', '/api/v1/users')).body;
    expect(users.filter((u) => u.role === 'admin').map((u) => u.username)).toEqual([byAda.status === 200 ? 'ada' : 'bob']);
  });
});
