import type { Role } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, type ControlPlane } from '../app/create-control-plane.js';
import { apiClient, type JsonResponse } from '../testing/http.js';
import { login, startTestPlane, TEST_ADMIN_PASSWORD } from '../testing/plane.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { roleAllows } from './roles.js';
import { routesOfApp, type ApiRoute } from './route-access.js';

const ROLES: Role[] = ['viewer', 'operator', 'admin'];
const PASSWORD = 'matrix-test-password';
/** Every path parameter gets this: a well-formed id of nothing, so no route finds a row to change. */
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, NO_SUCH_ID);
const label = (r: ApiRoute) => `${r.method} ${r.path}`;

/**
 * Every route of the running plane, called as each role. The route list comes from the same
 * enumeration as the route-access check, so a route added later is covered without editing this.
 * Requests are minimal and invalid on purpose (an empty body, ids of nothing): a caller below the
 * route's role must get 403 FORBIDDEN anyway, which shows the guard answers before any pipe
 * validates or any handler acts.
 */
describe('role matrix (PostgreSQL)', () => {
  let db: TestDatabase;
  let plane: ControlPlane;
  let routes: ApiRoute[];
  const passwords: Record<Role, string> = { viewer: PASSWORD, operator: PASSWORD, admin: TEST_ADMIN_PASSWORD };
  const usernames: Record<Role, string> = { viewer: 'matrix-viewer', operator: 'matrix-operator', admin: 'admin' };
  const tokens = new Map<Role, string>();

  async function signIn(role: Role): Promise<string> {
    const res = await apiClient(plane.url)<{ token: string }>('POST', '/api/v1/auth/login', { username: usernames[role], password: passwords[role] });
    if (res.status !== 200) throw new Error(`login as ${role} failed: ${res.status} ${JSON.stringify(res.body)}`);
    tokens.set(role, res.body.token);
    return res.body.token;
  }

  /** Calls as `role`; signs in again afterwards if the call ended the session (logout). */
  async function callAs(role: Role, method: string, path: string, body?: unknown): Promise<JsonResponse<{ code?: string; message?: string }>> {
    const token = tokens.get(role) ?? (await signIn(role));
    const res = await apiClient(plane.url, token)<{ code?: string; message?: string }>(method, path, body);
    if ((await apiClient(plane.url, token)('GET', '/api/v1/auth/me')).status === 401) await signIn(role);
    return res;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startTestPlane(db.url);
    routes = routesOfApp(plane.app, API_PREFIX);
    const admin = await login(plane);
    for (const role of ['viewer', 'operator'] as const) {
      const res = await admin('POST', '/api/v1/users', { username: usernames[role], password: PASSWORD, role });
      if (res.status !== 201) throw new Error(`creating the ${role} failed: ${res.status} ${JSON.stringify(res.body)}`);
    }
  });
  afterAll(async () => {
    await plane?.close();
    await db?.drop();
  });

  it('enumerates the routes of the running plane', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((r) => r.access.kind === 'undeclared' || r.access.kind === 'conflicting').map(label)).toEqual([]);
  });

  it('answers 401 on every non-public route without a session, and lets public routes through', async () => {
    const anon = apiClient(plane.url);
    for (const route of routes) {
      const res = await anon<{ code?: string }>(route.method, concrete(route.path), route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
      if (route.access.kind === 'public') {
        expect([401, 403], `${label(route)} answered ${res.status}`).not.toContain(res.status);
      } else {
        expect({ route: label(route), status: res.status, code: res.body.code }).toEqual({ route: label(route), status: 401, code: 'UNAUTHENTICATED' });
      }
    }
  });

  it('answers 403 FORBIDDEN below the route role and anything but 401/403 at or above it', async () => {
    const roleRoutes = routes.flatMap((r) => (r.access.kind === 'role' ? [{ route: r, need: r.access.role }] : []));
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const { route, need } of roleRoutes) {
      for (const role of ROLES) {
        const res = await callAs(role, route.method, concrete(route.path), route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
        const allowed = roleAllows(role, need);
        const seen = res.status === 403 ? `403 ${res.body.code ?? ''} ${res.body.message ?? ''}` : res.status === 401 ? '401' : 'passed the guard';
        outcomes.push(`${label(route)} as ${role}: ${seen}`);
        expected.push(`${label(route)} as ${role}: ${allowed ? 'passed the guard' : `403 FORBIDDEN This needs the ${need} role; you are ${role === 'operator' ? 'an' : 'a'} ${role}`}`);
      }
    }
    expect(outcomes).toEqual(expected);
  });

  it('shows each route role in the OpenAPI document', async () => {
    const spec = (await (await fetch(`${plane.url}/api/docs-json`)).json()) as { paths: Record<string, Record<string, { 'x-minimum-role'?: string }>> };
    const roleRoutes = routes.flatMap((r) => (r.access.kind === 'role' ? [{ route: r, need: r.access.role }] : []));
    for (const { route, need } of roleRoutes) {
      const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
      expect(spec.paths[path]?.[route.method.toLowerCase()]?.['x-minimum-role'], label(route)).toBe(need);
    }
  });

  it('changes nothing when refused, even with a valid request', async () => {
    const viewerCreates = await callAs('viewer', 'POST', '/api/v1/users', { username: 'sneaky', password: PASSWORD, role: 'admin' });
    expect(viewerCreates.status).toBe(403);
    const admin = await login(plane);
    const users = await admin<{ id: string; username: string; role: string }[]>('GET', '/api/v1/users');
    expect(users.body.map((u) => u.username)).not.toContain('sneaky');
    const viewer = users.body.find((u) => u.username === usernames.viewer);
    expect(viewer).toBeDefined();
    const operatorPromotes = await callAs('operator', 'PATCH', `/api/v1/users/${viewer?.id ?? ''}`, { role: 'admin' });
    expect(operatorPromotes.status).toBe(403);
    const fleet = (await admin<{ id: string; template: unknown }[]>('GET', '/api/v1/fleets')).body[0];
    const operatorPutsTemplate = await callAs('operator', 'PUT', `/api/v1/fleets/${fleet?.id ?? ''}/config`, { document: fleet?.template });
    expect(operatorPutsTemplate.status).toBe(403);
    expect((await admin<{ template: unknown }>('GET', `/api/v1/fleets/${fleet?.id ?? ''}`)).body.template).toEqual(fleet?.template);
    expect((await admin<{ id: string; role: string }[]>('GET', '/api/v1/users')).body.find((u) => u.id === viewer?.id)?.role).toBe('viewer');
  });
});
