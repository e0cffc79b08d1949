import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import { x509 } from '../pki/x509.js';
import { makeCsr } from '../testing/csr.js';
import { apiClient } from '../testing/http.js';
import { login, startTestPlane } from '../testing/plane.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';

type Api = Awaited<ReturnType<typeof login>>;
interface IdentityRow {
  certSerial: string | null;
  certKeySha256: string | null;
  approval: string;
  name: string;
}

/** sha256 of the SubjectPublicKeyInfo in a CSR or certificate. */
const spkiSha256 = (pem: string) => {
  const key = pem.includes('CERTIFICATE REQUEST') ? new x509.Pkcs10CertificateRequest(pem).publicKey : new x509.X509Certificate(pem).publicKey;
  return createHash('sha256').update(Buffer.from(key.rawData)).digest('hex');
};

describe('enrollment', () => {
  let db: TestDatabase;
  let plane: ControlPlane;
  let api: Api;
  let fleetId: string;
  let sql: pg.Client;
  const anon = () => apiClient(plane.url);

  async function identity(agentId: string): Promise<IdentityRow | undefined> {
    const res = await sql.query<IdentityRow>(`SELECT "certSerial", "certKeySha256", "approval"::text AS "approval", "name" FROM "Agent" WHERE "id" = $1`, [agentId]);
    return res.rows[0];
  }
  /** What presence would record: the agent connected to the fleet broker, or gone. */
  async function setOnline(agentId: string, online: boolean): Promise<void> {
    await sql.query(`UPDATE "Agent" SET "online" = $2 WHERE "id" = $1`, [agentId, online]);
  }

  async function token(body: Record<string, unknown> = {}): Promise<string> {
    const res = await api<{ token: string; bootstrap: { controlPlaneUrl: string; token: string; caFingerprint: string } }>('POST', `/api/v1/fleets/${fleetId}/enrollment-tokens`, body);
    expect(res.status).toBe(201);
    expect(res.body.bootstrap).toEqual({ controlPlaneUrl: plane.url, token: res.body.token, caFingerprint: plane.ca.fingerprint });
    return res.body.token;
  }

  async function enroll(tok: string, hardwareId: string, csr?: string) {
    return anon()<Record<string, unknown>>('POST', '/api/v1/enrollments', { token: tok, hardwareId, facts: { hostname: `host-${hardwareId}` }, csr: csr ?? (await makeCsr()).csrPem });
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startTestPlane(db.url);
    api = await login(plane);
    fleetId = (await api<{ id: string }[]>('GET', '/api/v1/fleets')).body[0]!.id;
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await plane?.close();
    await db?.drop();
  });

  it('enrolls a box: certificate with CN = agent id, CA chain, broker URL, revision 1 = the fleet template', async () => {
    const res = await enroll(await token({ labels: { line: 'A' } }), 'hw-1');
    expect(res.status).toBe(201);
    const body = res.body as { agentId: string; fleetId: string; name: string; certificate: string; caChain: string[]; brokerUrl: string };
    expect(body.fleetId).toBe(fleetId);
    expect(body.name).toBe('host-hw-1');
    expect(body.caChain).toEqual([plane.ca.certPem]);
    expect(body.brokerUrl).toBe('mqtts://localhost:8883');
    const cert = new x509.X509Certificate(body.certificate);
    expect(cert.subject).toBe(`CN=${body.agentId}`);
    expect(cert.notAfter.getTime() - Date.now()).toBeGreaterThan(89 * 86_400_000);

    const agent = await api<{ desiredRevision: number; syncStatus: string; labels: Record<string, string> }>('GET', `/api/v1/agents/${body.agentId}`);
    expect(agent.body).toMatchObject({ desiredRevision: 1, syncStatus: 'OFFLINE', labels: { line: 'A' } });
    const config = await api<{ revision: number; document: unknown; author: string }>('GET', `/api/v1/agents/${body.agentId}/config`);
    const fleet = await api<{ template: unknown }>('GET', `/api/v1/fleets/${fleetId}`);
    expect(config.body.revision).toBe(1);
    expect(config.body.document).toEqual(fleet.body.template);
  });

  it('re-finds the same box on re-enrollment, with a new certificate and no duplicate', async () => {
    const tok = await token({ maxUses: 1 });
    const first = (await enroll(tok, 'hw-2')).body as { agentId: string; certificate: string };
    const again = await enroll(tok, 'hw-2');
    expect(again.status).toBe(201);
    const second = again.body as { agentId: string; certificate: string };
    expect(second.agentId).toBe(first.agentId);
    expect(second.certificate).not.toBe(first.certificate);
    const list = await api<{ items: { hardwareId: string }[] }>('GET', `/api/v1/agents?fleetId=${fleetId}`);
    expect(list.body.items.filter((a) => a.hardwareId === 'hw-2')).toHaveLength(1);
    const revisions = await api<{ total: number }>('GET', `/api/v1/agents/${first.agentId}/config/revisions`);
    expect(revisions.body.total).toBe(1);
  });

  it('records the key of every certificate it issues; the same key re-enrolls into the same agent, online or not', async () => {
    const tok = await token();
    const { csrPem } = await makeCsr();
    const first = await enroll(tok, 'hw-key-1', csrPem);
    expect(first.status).toBe(201);
    const agentId = String(first.body.agentId);
    const issued = new x509.X509Certificate(String(first.body.certificate));
    expect(await identity(agentId)).toMatchObject({ certSerial: issued.serialNumber, certKeySha256: spkiSha256(csrPem) });

    await setOnline(agentId, true);
    const again = await enroll(tok, 'hw-key-1', csrPem);
    expect(again.status).toBe(201);
    expect(again.body.agentId).toBe(agentId);
    const renewed = new x509.X509Certificate(String(again.body.certificate));
    expect(renewed.serialNumber).not.toBe(issued.serialNumber);
    expect(await identity(agentId)).toMatchObject({ certSerial: renewed.serialNumber, certKeySha256: spkiSha256(csrPem) });
  });

  it('refuses another key for a connected agent with 409 AGENT_IDENTITY_IN_USE and changes nothing', async () => {
    const tok = await token();
    const { csrPem } = await makeCsr();
    const agentId = String((await enroll(tok, 'hw-key-2', csrPem)).body.agentId);
    await setOnline(agentId, true);
    const before = await identity(agentId);

    const other = await makeCsr();
    const claim = await anon()<{ statusCode: number; code: string; message: string }>('POST', '/api/v1/enrollments', {
      token: tok,
      hardwareId: 'hw-key-2',
      name: 'intruder',
      facts: { hostname: 'intruder' },
      csr: other.csrPem,
    });
    expect(claim.status).toBe(409);
    expect(claim.body).toMatchObject({ statusCode: 409, code: 'AGENT_IDENTITY_IN_USE' });
    expect(claim.body.message).toContain('connected right now with another key');
    expect(claim.body.message).toContain(agentId);
    expect(await identity(agentId)).toEqual(before);
    expect(before?.certKeySha256).toBe(spkiSha256(csrPem));

    const refused = await api<{ items: { outcome: string; errorCode: string | null; details: { hardwareId?: string } | null }[] }>('GET', '/api/v1/audit?action=agent.enroll&outcome=refused');
    expect(refused.body.items.some((e) => e.errorCode === 'AGENT_IDENTITY_IN_USE' && e.details?.hardwareId === 'hw-key-2')).toBe(true);
  });

  it('gives an offline agent back to a re-imaged box with another key under a token without approval, and notes the key change', async () => {
    const tok = await token({ maxUses: 1 });
    const agentId = String((await enroll(tok, 'hw-key-3')).body.agentId);
    const { csrPem } = await makeCsr();
    const res = await enroll(tok, 'hw-key-3', csrPem);
    expect(res.status).toBe(201);
    expect(res.body.agentId).toBe(agentId);
    const cert = new x509.X509Certificate(String(res.body.certificate));
    expect(spkiSha256(cert.toString('pem'))).toBe(spkiSha256(csrPem));
    expect(await identity(agentId)).toMatchObject({ approval: 'approved', certSerial: cert.serialNumber, certKeySha256: spkiSha256(csrPem) });
    expect((await api<{ total: number }>('GET', `/api/v1/agents/${agentId}/config/revisions`)).body.total).toBe(1);

    const notes = await api<{ items: { details: Record<string, unknown> | null }[] }>('GET', `/api/v1/audit?action=agent.enroll&targetId=${agentId}`);
    expect(notes.body.items).toHaveLength(2);
    expect(notes.body.items[0]?.details).toMatchObject({ hardwareId: 'hw-key-3', keyChanged: true });
    expect(notes.body.items[1]?.details).not.toHaveProperty('keyChanged');
  });

  it('takes any key from an agent certified before keys were recorded, and records it', async () => {
    const tok = await token();
    const agentId = String((await enroll(tok, 'hw-key-4')).body.agentId);
    await sql.query(`UPDATE "Agent" SET "certKeySha256" = NULL, "online" = true WHERE "id" = $1`, [agentId]);
    const { csrPem } = await makeCsr();
    const res = await enroll(tok, 'hw-key-4', csrPem);
    expect(res.status).toBe(201);
    expect(res.body.agentId).toBe(agentId);
    expect((await identity(agentId))?.certKeySha256).toBe(spkiSha256(csrPem));
  });

  it('refuses an exhausted token, counting uses atomically under concurrency', async () => {
    const tok = await token({ maxUses: 3 });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => enroll(tok, `burst-${i}`)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    for (const r of results.filter((x) => x.status !== 201)) expect(r.body).toMatchObject({ statusCode: 403, code: 'TOKEN_EXHAUSTED' });
    const tokens = await api<{ uses: number; maxUses: number }[]>('GET', `/api/v1/fleets/${fleetId}/enrollment-tokens`);
    expect(tokens.body.some((t) => t.maxUses === 3 && t.uses === 3)).toBe(true);
    expect(JSON.stringify(tokens.body)).not.toContain(tok);
  });

  it('refuses unknown, expired and revoked tokens', async () => {
    const unknown = await enroll('x'.repeat(43), 'hw-3');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ code: 'TOKEN_INVALID' });

    const tok = await token();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(`UPDATE "EnrollmentToken" SET "expiresAt" = now() - interval '1 minute' WHERE "uses" = 0`);
      const expired = await enroll(tok, 'hw-3');
      expect(expired.status).toBe(401);
      expect(expired.body).toMatchObject({ code: 'TOKEN_EXPIRED' });
      const tok2 = await token();
      await c.query(`UPDATE "EnrollmentToken" SET "revokedAt" = now() WHERE "uses" = 0 AND "expiresAt" > now()`);
      expect((await enroll(tok2, 'hw-3')).body).toMatchObject({ code: 'TOKEN_INVALID' });
    } finally {
      await c.end();
    }
  });

  it('refuses a bad CSR with CSR_INVALID and spends no use', async () => {
    const tok = await token({ maxUses: 1 });
    const { csrPem } = await makeCsr();
    const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
    der[der.length - 5] = (der[der.length - 5] as number) ^ 0xff;
    const res = await enroll(tok, 'hw-4', x509.PemConverter.encode(der, 'CERTIFICATE REQUEST'));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'CSR_INVALID' });
    expect((await enroll(tok, 'hw-4')).status).toBe(201);
  });

  it('validates the request body', async () => {
    const res = await anon()<{ code: string; issues: { path: string }[] }>('POST', '/api/v1/enrollments', { token: 'short', hardwareId: '' });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i) => i.path).sort()).toEqual(['csr', 'hardwareId', 'token']);
  });
});
