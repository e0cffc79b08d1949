import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../app/create-control-plane.js';
import { TEST_ADMIN_PASSWORD, login, startTestPlane } from '../../testing/plane.js';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database.js';

/** One request with the status, body and Retry-After it got. */
async function post(plane: ControlPlane, path: string, body: unknown) {
  const res = await fetch(`${plane.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { code?: string; message?: string } };
}

describe('rate limits on sign-in and enrollment', () => {
  let db: TestDatabase;
  let plane: ControlPlane;

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startTestPlane(db.url, { rateLimits: { loginPerMinute: 3, enrollmentsPerMinute: 4 } });
  });
  afterAll(async () => {
    await plane?.close();
    await db?.drop();
  });

  it('answers 429 with Retry-After once an address made too many sign-in attempts, even with the right password', async () => {
    for (let i = 0; i < 3; i++) expect((await post(plane, '/api/v1/auth/login', { username: 'admin', password: `wrong-${i}` })).status).toBe(401);
    const limited = await post(plane, '/api/v1/auth/login', { username: 'admin', password: TEST_ADMIN_PASSWORD });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.body.message).toMatch(/Too many sign-in attempts from this address \(at most 3 a minute\); try again in \d+ s/);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
  });

  it('limits enrollment requests separately, whatever they carry, and leaves other routes alone', async () => {
    for (let i = 0; i < 4; i++) expect((await post(plane, '/api/v1/enrollments', { token: `not-a-token-${i}`, hardwareId: `hw-${i}`, csr: 'x' })).status).toBe(400);
    const limited = await post(plane, '/api/v1/enrollments', { token: 'another', hardwareId: 'hw-9', csr: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.body.message).toMatch(/Too many enrollment requests/);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    // The health route has no limit.
    for (let i = 0; i < 10; i++) expect((await fetch(`${plane.url}/api/v1/health`)).status).toBe(200);
  });

  it('answers malformed bodies on both routes with 4xx, never 5xx, and keeps serving', async () => {
    // Its own plane (and database) with the default limits, so the bodies reach parsing and validation.
    const freshDb = await createTestDatabase();
    const fresh = await startTestPlane(freshDb.url);
    try {
      const bodies = ['', '{', 'null', '[]', '"x"', '{"token":1}', '{"username":{"$ne":null},"password":[]}', `{"token":"${'a'.repeat(100_000)}"}`];
      for (const raw of bodies) {
        for (const path of ['/api/v1/auth/login', '/api/v1/enrollments']) {
          const res = await fetch(`${fresh.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
          expect(res.status, `${path} ${raw.slice(0, 30)}`).toBeGreaterThanOrEqual(400);
          expect(res.status, `${path} ${raw.slice(0, 30)}`).toBeLessThan(500);
        }
      }
      expect((await fetch(`${fresh.url}/api/v1/health`)).status).toBe(200);
      await expect(login(fresh)).resolves.toBeTypeOf('function');
    } finally {
      await fresh.close();
      await freshDb.drop();
    }
    // The limited plane refuses even the right password for now.
    await expect(login(plane)).rejects.toThrow(/429/);
  });
});
