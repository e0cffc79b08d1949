import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { EnrollmentTokenViewSchema, type EnrollmentTokenView } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ControlPlane } from '../app/create-control-plane.js';
import { makeCsr } from '../testing/csr.js';
import { apiClient } from '../testing/http.js';
import { login, startTestPlane } from '../testing/plane.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';

type Api = Awaited<ReturnType<typeof login>>;
interface ApiErrorBody { statusCode: number; code: string; message: string }

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('enrollment tokens: listing and revocation', () => {
  let db: TestDatabase;
  let plane: ControlPlane;
  let api: Api;
  let fleetId: string;

  const tokensPath = (fleet = fleetId) => `/api/v1/fleets/${fleet}/enrollment-tokens`;
  async function create(body: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
    const res = await api<{ id: string; token: string }>('POST', tokensPath(), body);
    expect(res.status).toBe(201);
    return res.body;
  }
  async function listed(): Promise<EnrollmentTokenView[]> {
    const res = await api<EnrollmentTokenView[]>('GET', tokensPath());
    expect(res.status).toBe(200);
    return z.array(EnrollmentTokenViewSchema).parse(res.body);
  }
  const find = async (id: string) => (await listed()).find((t) => t.id === id);
  async function enroll(token: string, hardwareId: string) {
    return apiClient(plane.url)<ApiErrorBody & { agentId: string }>('POST', '/api/v1/enrollments', { token, hardwareId, csr: (await makeCsr()).csrPem });
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startTestPlane(db.url);
    api = await login(plane);
    fleetId = (await api<{ id: string }[]>('GET', '/api/v1/fleets')).body[0]!.id;
  });
  afterAll(async () => {
    await plane?.close();
    await db?.drop();
  });

  it('lists tokens with revokedAt null while they are active', async () => {
    const { id } = await create({ description: 'line 1', labels: { line: '1' }, maxUses: 5 });
    expect(await find(id)).toMatchObject({ id, fleetId, description: 'line 1', labels: { line: '1' }, maxUses: 5, uses: 0, requiresApproval: false, revokedAt: null, createdBy: 'admin' });
  });

  it('keeps whether a token requires approval, false unless asked for', async () => {
    const res = await api<{ id: string; requiresApproval: boolean }>('POST', tokensPath(), { requiresApproval: true });
    expect(res.status).toBe(201);
    expect(res.body.requiresApproval).toBe(true);
    expect((await find(res.body.id))?.requiresApproval).toBe(true);
    const bad = await api<ApiErrorBody & { issues: { path: string }[] }>('POST', tokensPath(), { requiresApproval: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i) => i.path)).toEqual(['requiresApproval']);
  });

  it('revokes a token: 204, revokedAt shown, and enrollment refused like an expired token', async () => {
    const { id, token } = await create();
    const enrolled = await enroll(token, 'revoke-1');
    expect(enrolled.status).toBe(201);

    const before = Date.now();
    const res = await api('DELETE', `${tokensPath()}/${id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    const revokedAt = (await find(id))?.revokedAt;
    expect(revokedAt).not.toBeNull();
    expect(Date.parse(revokedAt ?? '')).toBeGreaterThanOrEqual(before - 1000);

    // A new box and the box it already enrolled are both refused: 401, as for an expired token.
    for (const hardwareId of ['revoke-2', 'revoke-1']) {
      const refused = await enroll(token, hardwareId);
      expect(refused.status, hardwareId).toBe(401);
      expect(refused.body).toMatchObject({ statusCode: 401, code: 'TOKEN_INVALID' });
    }
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      const expired = await create();
      await sql.query(`UPDATE "EnrollmentToken" SET "expiresAt" = now() - interval '1 minute' WHERE "id" = $1`, [expired.id]);
      expect((await enroll(expired.token, 'revoke-3')).status).toBe(401);
      // The agent it enrolled stays.
      expect((await api('GET', `/api/v1/agents/${enrolled.body.agentId}`)).status).toBe(200);
    } finally {
      await sql.end();
    }
  });

  it('revoking twice is fine and keeps the first revocation time', async () => {
    const { id } = await create();
    expect((await api('DELETE', `${tokensPath()}/${id}`)).status).toBe(204);
    const first = (await find(id))?.revokedAt;
    await new Promise((r) => setTimeout(r, 20));
    expect((await api('DELETE', `${tokensPath()}/${id}`)).status).toBe(204);
    expect((await find(id))?.revokedAt).toBe(first);
  });

  it('answers 404 for an unknown token, a token of another fleet and an unknown fleet', async () => {
    const { id } = await create();
    const other = randomUUID();
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      await sql.query(`INSERT INTO "Fleet" ("id", "name", "template", "updatedAt") VALUES ($1, 'other', '{}', now())`, [other]);
    } finally {
      await sql.end();
    }
    for (const url of [`${tokensPath()}/${UNKNOWN}`, `${tokensPath(other)}/${id}`, `${tokensPath(UNKNOWN)}/${id}`, `${tokensPath()}/not-a-uuid`]) {
      const res = await api<ApiErrorBody>('DELETE', url);
      expect(res.status, url).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    // None of those touched the token.
    expect((await find(id))?.revokedAt).toBeNull();
  });

  it('needs a session', async () => {
    const { id } = await create();
    expect((await apiClient(plane.url)('DELETE', `${tokensPath()}/${id}`)).status).toBe(401);
    expect((await find(id))?.revokedAt).toBeNull();
  });
});
