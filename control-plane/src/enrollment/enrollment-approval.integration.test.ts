import { createHash } from 'node:crypto';
import pg from 'pg';
import { AgentViewSchema, EnrollmentPendingSchema, EnrollmentResponseSchema, type AgentView, type EnrollmentTokenView } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import { x509 } from '../pki/x509.js';
import { makeCsr } from '../testing/csr.js';
import { apiClient } from '../testing/http.js';
import { login, startTestPlane } from '../testing/plane.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';

type Api = Awaited<ReturnType<typeof login>>;
interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
}
interface Page {
  items: AgentView[];
  total: number;
}
interface AgentRow {
  name: string;
  facts: Record<string, unknown>;
  approval: string;
  approvalKeySha256: string | null;
  approvalRequestedAt: Date | null;
  certSerial: string | null;
  certKeySha256: string | null;
  desiredRevision: number;
}

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** sha256 of the SubjectPublicKeyInfo in a CSR or certificate: what binds a pending request. */
const spkiSha256 = (pem: string) => {
  const key = pem.includes('CERTIFICATE REQUEST') ? new x509.Pkcs10CertificateRequest(pem).publicKey : new x509.X509Certificate(pem).publicKey;
  return createHash('sha256').update(Buffer.from(key.rawData)).digest('hex');
};

describe('enrollment with approval', () => {
  let db: TestDatabase;
  let plane: ControlPlane;
  let api: Api;
  let fleetId: string;
  let sql: pg.Client;
  const anon = () => apiClient(plane.url);

  async function token(body: Record<string, unknown> = {}): Promise<{ id: string; token: string; requiresApproval: boolean }> {
    const res = await api<{ id: string; token: string; requiresApproval: boolean }>('POST', `/api/v1/fleets/${fleetId}/enrollment-tokens`, body);
    expect(res.status).toBe(201);
    return res.body;
  }
  async function tokenView(id: string): Promise<EnrollmentTokenView> {
    const list = await api<EnrollmentTokenView[]>('GET', `/api/v1/fleets/${fleetId}/enrollment-tokens`);
    const found = list.body.find((t) => t.id === id);
    if (!found) throw new Error(`token ${id} not listed`);
    return found;
  }
  function enroll(tok: string, hardwareId: string, csr: string, extra: Record<string, unknown> = {}) {
    return anon()<Record<string, unknown>>('POST', '/api/v1/enrollments', { token: tok, hardwareId, facts: { hostname: `host-${hardwareId}` }, csr, ...extra });
  }
  async function row(agentId: string): Promise<AgentRow | undefined> {
    const res = await sql.query<AgentRow>(
      `SELECT "name", "facts", "approval"::text AS "approval", "approvalKeySha256", "approvalRequestedAt", "certSerial", "certKeySha256", "desiredRevision" FROM "Agent" WHERE "id" = $1`,
      [agentId],
    );
    return res.rows[0];
  }
  const pendingBody = (res: { status: number; body: unknown }) => {
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return EnrollmentPendingSchema.parse(res.body);
  };
  const list = async (query: string) => {
    const res = await api<Page>('GET', `/api/v1/agents?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

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

  it('creates tokens that require approval, shown as such when created and listed', async () => {
    const created = await token({ requiresApproval: true });
    expect(created.requiresApproval).toBe(true);
    expect((await tokenView(created.id)).requiresApproval).toBe(true);
    const plain = await token();
    expect(plain.requiresApproval).toBe(false);
    expect((await tokenView(plain.id)).requiresApproval).toBe(false);
  });

  it('takes a new box as pending: 202 with Retry-After, one use, no certificate, no config, listed only when asked for', async () => {
    const tok = await token({ requiresApproval: true, labels: { line: 'P' } });
    const { csrPem } = await makeCsr();
    const before = await list('');

    const res = await fetch(`${plane.url}/api/v1/enrollments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: tok.token, hardwareId: 'pend-1', facts: { hostname: 'host-pend-1' }, csr: csrPem }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('retry-after')).toBe('15');
    const body = EnrollmentPendingSchema.parse(await res.json());
    expect(body).toEqual({ status: 'pending', agentId: expect.any(String), fleetId, retryAfterSec: 15 });
    expect(JSON.stringify(body)).not.toContain('CERTIFICATE');

    expect((await tokenView(tok.id)).uses).toBe(1);
    const stored = await row(body.agentId);
    expect(stored).toMatchObject({ approval: 'pending', approvalKeySha256: spkiSha256(csrPem), certSerial: null, desiredRevision: 0 });
    expect(stored?.approvalRequestedAt).toBeInstanceOf(Date);

    const view = AgentViewSchema.parse((await api('GET', `/api/v1/agents/${body.agentId}`)).body);
    expect(view).toMatchObject({ approval: 'pending', labels: { line: 'P' }, name: 'host-pend-1', desiredRevision: null, syncStatus: 'OFFLINE' });
    expect((await api<ErrorBody>('GET', `/api/v1/agents/${body.agentId}/config`)).status).toBe(404);

    // The default list (and any status count taken from it) is the approved fleet.
    const after = await list('');
    expect(after.total).toBe(before.total);
    expect(after.items.map((a) => a.id)).not.toContain(body.agentId);
    expect((await list('status=OFFLINE')).items.map((a) => a.id)).not.toContain(body.agentId);
    const pending = await list('approval=pending');
    expect(pending.items.map((a) => a.id)).toContain(body.agentId);
    expect(pending.items.every((a) => a.approval === 'pending')).toBe(true);
    // The other filters and sorts work alongside it.
    expect((await list('approval=pending&status=OFFLINE&q=PEND-1&label=line=P&sort=-enrolledAt')).items.map((a) => a.id)).toEqual([body.agentId]);
    expect((await list('approval=pending&sort=status')).items.map((a) => a.id)).toContain(body.agentId);
    expect((await list('approval=rejected')).items.map((a) => a.id)).not.toContain(body.agentId);
  });

  it('answers a poll with the same key 202 again: no second use, name and facts updated', async () => {
    const tok = await token({ requiresApproval: true, maxUses: 1 });
    const { csrPem } = await makeCsr();
    const first = pendingBody(await enroll(tok.token, 'pend-2', csrPem));
    const again = pendingBody(await enroll(tok.token, 'pend-2', csrPem, { name: 'press-2', facts: { hostname: 'renamed', agentVersion: '9.9.9' } }));
    expect(again.agentId).toBe(first.agentId);
    expect((await tokenView(tok.id)).uses).toBe(1);
    expect(await row(first.agentId)).toMatchObject({ approval: 'pending', name: 'press-2', facts: { hostname: 'renamed', agentVersion: '9.9.9' } });
    expect((await api<AgentView>('GET', `/api/v1/agents/${first.agentId}`)).body.agentVersion).toBe('9.9.9');
  });

  it('counts one use when the same box asks twice at once', async () => {
    const tok = await token({ requiresApproval: true });
    const { csrPem } = await makeCsr();
    const results = await Promise.all([enroll(tok.token, 'pend-race', csrPem), enroll(tok.token, 'pend-race', csrPem)]);
    const ids = results.map((r) => pendingBody(r).agentId);
    expect(ids[0]).toBe(ids[1]);
    expect((await tokenView(tok.id)).uses).toBe(1);
  });

  it('refuses another key for a pending box with 409 ENROLLMENT_KEY_MISMATCH and leaves the record as it was', async () => {
    const tok = await token({ requiresApproval: true });
    const { csrPem } = await makeCsr();
    const { agentId } = pendingBody(await enroll(tok.token, 'pend-3', csrPem));
    const before = await row(agentId);

    const other = await enroll(tok.token, 'pend-3', (await makeCsr()).csrPem, { name: 'intruder', facts: { hostname: 'intruder' } });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ statusCode: 409, code: 'ENROLLMENT_KEY_MISMATCH' });
    expect(String(other.body.message)).toContain('another key');
    expect(await row(agentId)).toEqual(before);
    expect((await tokenView(tok.id)).uses).toBe(1);
    // The box that asked first still waits.
    expect(pendingBody(await enroll(tok.token, 'pend-3', csrPem)).agentId).toBe(agentId);
  });

  it('approves: revision 1 from the fleet template at once, then the next poll gets a certificate for its own key only', async () => {
    const tok = await token({ requiresApproval: true });
    const { csrPem } = await makeCsr();
    const { agentId } = pendingBody(await enroll(tok.token, 'pend-4', csrPem));

    const approved = await api<AgentView>('POST', `/api/v1/agents/${agentId}/approve`);
    expect(approved.status).toBe(200);
    expect(AgentViewSchema.parse(approved.body)).toMatchObject({ id: agentId, approval: 'approved', desiredRevision: 1 });
    const config = await api<{ revision: number; document: unknown; author: string; comment: string }>('GET', `/api/v1/agents/${agentId}/config`);
    const fleet = await api<{ template: unknown }>('GET', `/api/v1/fleets/${fleetId}`);
    expect(config.body).toMatchObject({ revision: 1, author: 'enrollment', comment: 'fleet template' });
    expect(config.body.document).toEqual(fleet.body.template);
    expect((await list('')).items.map((a) => a.id)).toContain(agentId);
    expect((await list('approval=pending')).items.map((a) => a.id)).not.toContain(agentId);

    // Approved but not collected yet: still bound to the key that asked.
    const stolen = await enroll(tok.token, 'pend-4', (await makeCsr()).csrPem);
    expect(stolen.status).toBe(409);
    expect(stolen.body).toMatchObject({ code: 'ENROLLMENT_KEY_MISMATCH' });

    const collected = await enroll(tok.token, 'pend-4', csrPem);
    expect(collected.status).toBe(201);
    const identity = EnrollmentResponseSchema.parse(collected.body);
    expect(identity).toMatchObject({ agentId, fleetId, name: 'host-pend-4', caChain: [plane.ca.certPem], brokerUrl: 'mqtts://localhost:8883' });
    const cert = new x509.X509Certificate(identity.certificate);
    expect(cert.subject).toBe(`CN=${agentId}`);
    expect(spkiSha256(identity.certificate)).toBe(spkiSha256(csrPem));
    expect(await row(agentId)).toMatchObject({ approval: 'approved', approvalKeySha256: null, certSerial: cert.serialNumber, certKeySha256: spkiSha256(csrPem), desiredRevision: 1 });
    expect((await tokenView(tok.id)).uses).toBe(1);

    // From here on it re-enrolls as any approved agent: its key gets a new certificate, no new revision, no new use.
    const renewed = await enroll(tok.token, 'pend-4', csrPem);
    expect(renewed.status).toBe(201);
    expect(renewed.body.agentId).toBe(agentId);
    expect((await api<{ total: number }>('GET', `/api/v1/agents/${agentId}/config/revisions`)).body.total).toBe(1);
    expect((await tokenView(tok.id)).uses).toBe(1);
  });

  it('sends an offline agent re-enrolling with another key back to approval, keeping its config; approving gives the new key a certificate', async () => {
    const tok = await token({ requiresApproval: true, maxUses: 1 });
    const old = await makeCsr();
    const { agentId } = pendingBody(await enroll(tok.token, 'reimage-1', old.csrPem));
    expect((await api('POST', `/api/v1/agents/${agentId}/approve`)).status).toBe(200);
    const first = EnrollmentResponseSchema.parse((await enroll(tok.token, 'reimage-1', old.csrPem)).body);
    const template = (await api<{ template: unknown }>('GET', `/api/v1/fleets/${fleetId}`)).body.template;
    expect((await api('PUT', `/api/v1/agents/${agentId}/config`, { document: template, comment: 'tuned' })).status).toBe(201);
    const certified = await row(agentId);
    expect(certified).toMatchObject({ approval: 'approved', certSerial: new x509.X509Certificate(first.certificate).serialNumber, certKeySha256: spkiSha256(old.csrPem), desiredRevision: 2 });

    // The box is re-imaged: a new key, the same hardware id, the agent offline.
    const fresh = await makeCsr();
    const again = pendingBody(await enroll(tok.token, 'reimage-1', fresh.csrPem));
    expect(again.agentId).toBe(agentId);
    expect((await tokenView(tok.id)).uses).toBe(1);
    const waiting = await row(agentId);
    expect(waiting).toMatchObject({ approval: 'pending', approvalKeySha256: spkiSha256(fresh.csrPem), certSerial: certified?.certSerial, certKeySha256: spkiSha256(old.csrPem), desiredRevision: 2 });
    expect(waiting?.approvalRequestedAt?.getTime()).toBeGreaterThan(certified?.approvalRequestedAt?.getTime() ?? 0);
    expect((await list('approval=pending')).items.map((a) => a.id)).toContain(agentId);
    // Bound to the new key now: the old one waits like any other key.
    expect((await enroll(tok.token, 'reimage-1', old.csrPem)).body).toMatchObject({ code: 'ENROLLMENT_KEY_MISMATCH' });
    expect(pendingBody(await enroll(tok.token, 'reimage-1', fresh.csrPem)).agentId).toBe(agentId);

    const notes = await api<{ items: { details: Record<string, unknown> | null }[] }>('GET', `/api/v1/audit?action=agent.enroll&targetId=${agentId}&outcome=ok`);
    expect(notes.body.items[0]?.details).toMatchObject({ hardwareId: 'reimage-1', pending: true, keyChanged: true });

    // Approved again: the revisions it had are kept, none is added.
    const approved = await api<AgentView>('POST', `/api/v1/agents/${agentId}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ approval: 'approved', desiredRevision: 2 });
    expect((await api<{ total: number }>('GET', `/api/v1/agents/${agentId}/config/revisions`)).body.total).toBe(2);

    const collected = await enroll(tok.token, 'reimage-1', fresh.csrPem);
    expect(collected.status).toBe(201);
    const identity = EnrollmentResponseSchema.parse(collected.body);
    expect(identity.agentId).toBe(agentId);
    expect(spkiSha256(identity.certificate)).toBe(spkiSha256(fresh.csrPem));
    expect(await row(agentId)).toMatchObject({
      approval: 'approved',
      approvalKeySha256: null,
      certSerial: new x509.X509Certificate(identity.certificate).serialNumber,
      certKeySha256: spkiSha256(fresh.csrPem),
      desiredRevision: 2,
    });
    expect((await tokenView(tok.id)).uses).toBe(1);
  });

  it('refuses another key for a connected agent under an approval token with 409 AGENT_IDENTITY_IN_USE, leaving it approved', async () => {
    const tok = await token({ requiresApproval: true });
    const { csrPem } = await makeCsr();
    const { agentId } = pendingBody(await enroll(tok.token, 'reimage-2', csrPem));
    expect((await api('POST', `/api/v1/agents/${agentId}/approve`)).status).toBe(200);
    expect((await enroll(tok.token, 'reimage-2', csrPem)).status).toBe(201);
    await sql.query(`UPDATE "Agent" SET "online" = true WHERE "id" = $1`, [agentId]);
    const before = await row(agentId);

    const claim = await enroll(tok.token, 'reimage-2', (await makeCsr()).csrPem);
    expect(claim.status).toBe(409);
    expect(claim.body).toMatchObject({ statusCode: 409, code: 'AGENT_IDENTITY_IN_USE' });
    expect(await row(agentId)).toEqual(before);
    expect(before).toMatchObject({ approval: 'approved', approvalKeySha256: null, certKeySha256: spkiSha256(csrPem) });
  });

  it('rejects: the box gets 403 ENROLLMENT_REJECTED until the agent record is deleted', async () => {
    const tok = await token({ requiresApproval: true });
    const { csrPem } = await makeCsr();
    const { agentId } = pendingBody(await enroll(tok.token, 'pend-5', csrPem));

    const rejected = await api<AgentView>('POST', `/api/v1/agents/${agentId}/reject`);
    expect(rejected.status).toBe(200);
    expect(AgentViewSchema.parse(rejected.body)).toMatchObject({ id: agentId, approval: 'rejected', desiredRevision: null });
    expect((await list('approval=rejected')).items.map((a) => a.id)).toContain(agentId);
    expect((await list('')).items.map((a) => a.id)).not.toContain(agentId);

    for (const csr of [csrPem, (await makeCsr()).csrPem]) {
      const refused = await enroll(tok.token, 'pend-5', csr);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ statusCode: 403, code: 'ENROLLMENT_REJECTED' });
      expect(String(refused.body.message)).toMatch(/rejected this box.*delete the agent record/);
    }
    expect((await row(agentId))?.certSerial).toBeNull();
    expect((await api<ErrorBody>('GET', `/api/v1/agents/${agentId}/config`)).status).toBe(404);

    expect((await api('DELETE', `/api/v1/agents/${agentId}`)).status).toBe(204);
    const again = pendingBody(await enroll(tok.token, 'pend-5', csrPem));
    expect(again.agentId).not.toBe(agentId);
    expect((await tokenView(tok.id)).uses).toBe(2);
  });

  it('answers approve and reject of an agent that is not pending with 409 AGENT_NOT_PENDING, and of an unknown one with 404', async () => {
    const tok = await token({ requiresApproval: true });
    const approvedId = pendingBody(await enroll(tok.token, 'pend-6', (await makeCsr()).csrPem)).agentId;
    const rejectedId = pendingBody(await enroll(tok.token, 'pend-7', (await makeCsr()).csrPem)).agentId;
    expect((await api('POST', `/api/v1/agents/${approvedId}/approve`)).status).toBe(200);
    expect((await api('POST', `/api/v1/agents/${rejectedId}/reject`)).status).toBe(200);
    const auto = await enroll((await token()).token, 'auto-1', (await makeCsr()).csrPem);
    expect(auto.status).toBe(201);
    const autoId = String(auto.body.agentId);

    for (const [id, state] of [
      [approvedId, 'approved'],
      [rejectedId, 'rejected'],
      [autoId, 'approved'],
    ] as const) {
      for (const action of ['approve', 'reject']) {
        const res = await api<ErrorBody>('POST', `/api/v1/agents/${id}/${action}`);
        expect(res.status, `${action} ${state}`).toBe(409);
        expect(res.body).toMatchObject({ statusCode: 409, code: 'AGENT_NOT_PENDING' });
        expect(res.body.message).toContain(state);
      }
      expect((await row(id))?.approval).toBe(state);
    }
    expect((await row(approvedId))?.desiredRevision).toBe(1);
    for (const path of [`/api/v1/agents/${UNKNOWN}/approve`, `/api/v1/agents/${UNKNOWN}/reject`, '/api/v1/agents/not-a-uuid/approve']) {
      const res = await api<ErrorBody>('POST', path);
      expect(res.status, path).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    expect((await apiClient(plane.url)('POST', `/api/v1/agents/${approvedId}/approve`)).status).toBe(401);
  });

  it('does not strand a pending box when its token expires or runs out meanwhile; a revoked token still stops it', async () => {
    const tok = await token({ requiresApproval: true, maxUses: 1 });
    const { csrPem } = await makeCsr();
    const { agentId } = pendingBody(await enroll(tok.token, 'pend-8', csrPem));
    const exhausted = await enroll(tok.token, 'pend-9', (await makeCsr()).csrPem);
    expect(exhausted.status).toBe(403);
    expect(exhausted.body).toMatchObject({ code: 'TOKEN_EXHAUSTED' });

    await sql.query(`UPDATE "EnrollmentToken" SET "expiresAt" = now() - interval '1 minute' WHERE "id" = $1`, [tok.id]);
    expect(pendingBody(await enroll(tok.token, 'pend-8', csrPem)).agentId).toBe(agentId);
    expect((await enroll(tok.token, 'pend-10', (await makeCsr()).csrPem)).body).toMatchObject({ code: 'TOKEN_EXPIRED' });
    // Still bound to its key, expired token or not.
    expect((await enroll(tok.token, 'pend-8', (await makeCsr()).csrPem)).body).toMatchObject({ code: 'ENROLLMENT_KEY_MISMATCH' });
    expect((await api('POST', `/api/v1/agents/${agentId}/approve`)).status).toBe(200);
    const collected = await enroll(tok.token, 'pend-8', csrPem);
    expect(collected.status).toBe(201);
    expect(collected.body.agentId).toBe(agentId);
    // Once certified it is an enrolled agent again: re-enrolling with the expired token is refused, as it always was.
    expect((await enroll(tok.token, 'pend-8', csrPem)).body).toMatchObject({ code: 'TOKEN_EXPIRED' });

    const revokedTok = await token({ requiresApproval: true });
    const other = await makeCsr();
    pendingBody(await enroll(revokedTok.token, 'pend-11', other.csrPem));
    expect((await api('DELETE', `/api/v1/fleets/${fleetId}/enrollment-tokens/${revokedTok.id}`)).status).toBe(204);
    const revoked = await enroll(revokedTok.token, 'pend-11', other.csrPem);
    expect(revoked.status).toBe(401);
    expect(revoked.body).toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('refuses a bad CSR from a new box with CSR_INVALID and spends no use', async () => {
    const tok = await token({ requiresApproval: true, maxUses: 1 });
    const { csrPem } = await makeCsr();
    const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
    der[der.length - 5] = (der[der.length - 5] as number) ^ 0xff;
    const bad = await enroll(tok.token, 'pend-12', x509.PemConverter.encode(der, 'CERTIFICATE REQUEST'));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'CSR_INVALID' });
    expect((await tokenView(tok.id)).uses).toBe(0);
    pendingBody(await enroll(tok.token, 'pend-12', csrPem));
  });

  it('gives pending and rejected agents no config: fleet roll-outs skip them and a PUT is refused', async () => {
    const tok = await token({ requiresApproval: true });
    const pendingId = pendingBody(await enroll(tok.token, 'pend-13', (await makeCsr()).csrPem)).agentId;
    const rejectedId = pendingBody(await enroll(tok.token, 'pend-14', (await makeCsr()).csrPem)).agentId;
    expect((await api('POST', `/api/v1/agents/${rejectedId}/reject`)).status).toBe(200);
    const approvedCount = (await list(`fleetId=${fleetId}`)).total;

    const template = (await api<{ template: unknown }>('GET', `/api/v1/fleets/${fleetId}`)).body.template;
    const rollout = await api<{ agents: number; revisions: { agentId: string }[] }>('PUT', `/api/v1/fleets/${fleetId}/config`, { document: template, comment: 'roll-out' });
    expect(rollout.status).toBe(200);
    expect(rollout.body.agents).toBe(approvedCount);
    const reached = rollout.body.revisions.map((r) => r.agentId);
    expect(reached).not.toContain(pendingId);
    expect(reached).not.toContain(rejectedId);
    for (const id of [pendingId, rejectedId]) {
      expect((await row(id))?.desiredRevision).toBe(0);
      const put = await api<ErrorBody>('PUT', `/api/v1/agents/${id}/config`, { document: template });
      expect(put.status).toBe(409);
      expect(put.body.code).toBe('CONFLICT');
    }

    // Approved later, it starts from the fleet's template as it is then.
    expect((await api<AgentView>('POST', `/api/v1/agents/${pendingId}/approve`)).body.desiredRevision).toBe(1);
  });

  it('leaves tokens without approval as they were: 201 at once, agent approved', async () => {
    const tok = await token({ maxUses: 1 });
    const res = await enroll(tok.token, 'auto-2', (await makeCsr()).csrPem);
    expect(res.status).toBe(201);
    const agent = AgentViewSchema.parse((await api('GET', `/api/v1/agents/${String(res.body.agentId)}`)).body);
    expect(agent).toMatchObject({ approval: 'approved', desiredRevision: 1 });
    expect((await row(agent.id))?.approvalKeySha256).toBeNull();
  });

  it('validates the approval filter and documents the new routes', async () => {
    const bad = await api<ErrorBody & { issues: { path: string }[] }>('GET', '/api/v1/agents?approval=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i) => i.path)).toContain('approval');
    const doc = (await anon()<{ paths: Record<string, Record<string, { parameters?: { name: string }[]; security?: unknown[]; responses?: Record<string, unknown> }>> }>('GET', '/api/docs-json')).body;
    expect(doc.paths['/api/v1/agents']?.get?.parameters?.map((p) => p.name)).toContain('approval');
    for (const op of [doc.paths['/api/v1/agents/{id}/approve']?.post, doc.paths['/api/v1/agents/{id}/reject']?.post]) expect(op?.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(doc.paths['/api/v1/enrollments']?.post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '202']));
  });
});
