import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from './create-control-plane.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { apiClient } from '../testing/http.js';
import { login, startTestPlane } from '../testing/plane.js';

describe('control plane HTTP API (no broker)', () => {
  let db: TestDatabase;
  let plane: ControlPlane;

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startTestPlane(db.url);
  });
  afterAll(async () => {
    await plane?.close();
    await db?.drop();
  });

  it('answers health without a session, with the broker down', async () => {
    const res = await apiClient(plane.url)('GET', '/api/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: 'up', broker: 'disconnected' });
  });

  it('refuses protected routes without a token, with ApiError', async () => {
    const res = await apiClient(plane.url)('GET', '/api/v1/agents');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
    const bad = await apiClient(plane.url, 'x'.repeat(43))('GET', '/api/v1/fleets');
    expect(bad.status).toBe(401);
  });

  it('logs in, tells who is logged in, and logs out', async () => {
    const anon = apiClient(plane.url);
    const wrong = await anon('POST', '/api/v1/auth/login', { username: 'admin', password: 'nope' });
    expect(wrong.status).toBe(401);
    const ok = await anon<{ token: string; expiresAt: string; user: { username: string; role: string } }>('POST', '/api/v1/auth/login', { username: 'admin', password: 'test-admin-password' });
    expect(ok.status).toBe(200);
    expect(ok.body.user).toEqual({ username: 'admin', role: 'admin' });
    expect(new Date(ok.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(11 * 3_600_000);
    const api = apiClient(plane.url, ok.body.token);
    expect((await api('GET', '/api/v1/auth/me')).body).toMatchObject({ username: 'admin', role: 'admin' });
    expect((await api('POST', '/api/v1/auth/logout')).status).toBe(204);
    expect((await api('GET', '/api/v1/auth/me')).status).toBe(401);
  });

  it('answers malformed JSON and invalid bodies with 400, naming the fields', async () => {
    const anon = apiClient(plane.url);
    const malformed = await anon('POST', '/api/v1/auth/login', undefined, '{"username":');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    const invalid = await anon<{ issues: { path: string }[] }>('POST', '/api/v1/auth/login', { username: '' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.issues.map((i) => i.path).sort()).toEqual(['password', 'username']);
  });

  it('ensures the default fleet with the simulator template', async () => {
    const api = await login(plane);
    const fleets = await api<{ id: string; name: string; template: { devices: { name: string }[] } }[]>('GET', '/api/v1/fleets');
    expect(fleets.status).toBe(200);
    expect(fleets.body.map((f) => f.name)).toEqual(['default']);
    expect(fleets.body[0]?.template.devices[0]?.name).toBe('sim');
  });

  it('serves the console placeholder at / and OpenAPI at /api/docs-json', async () => {
    const page = await fetch(`${plane.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('EdgeFleet');
    const docs = await fetch(`${plane.url}/api/docs-json`);
    const spec = (await docs.json()) as { paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } };
    expect(Object.keys(spec.paths)).toContain('/api/v1/agents/{id}/config');
    expect(spec.components.securitySchemes).toHaveProperty('bearer');
  });

  it('answers unknown API routes with 404 NOT_FOUND', async () => {
    const api = await login(plane);
    const res = await api('GET', '/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'NOT_FOUND' });
    expect((await api('GET', '/api/v1/agents/not-a-uuid')).status).toBe(404);
  });
});
