import { createPublicKey } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentViewSchema, EnrollmentTokenCreatedSchema, type EnrollmentTokenView } from '@edgefleet/protocol';
import type { ControlPlane } from '../../../control-plane/src/app/create-control-plane.js';
import { x509 } from '../../../control-plane/src/pki/x509.js';
import { login, startTestPlane } from '../../../control-plane/src/testing/plane.js';
import { createLogger, enroll, EnrollmentRefused, loadIdentity, statePaths } from '../../../agent/src/index.js';
import { loadCredentials } from '../../../agent/src/identity/state-dir.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

type Api = Awaited<ReturnType<typeof login>>;

/**
 * The agent's real enroll() against a real control plane and PostgreSQL, with a token that
 * requires approval: the box waits (202s), is restarted while waiting, and gets its identity once
 * an operator approves it through the API; a rejected box stops.
 */
describe('agent enrollment waiting for approval', () => {
  let db: TestDatabase;
  let plane: ControlPlane;
  let api: Api;
  let fleetId: string;
  let dir: string;
  const log = createLogger('silent');

  async function approvalToken(): Promise<{ id: string; token: string }> {
    const res = await api('POST', `/api/v1/fleets/${fleetId}/enrollment-tokens`, { requiresApproval: true });
    expect(res.status).toBe(201);
    return EnrollmentTokenCreatedSchema.parse(res.body);
  }
  async function pendingAgentId(hardwareId: string): Promise<string | undefined> {
    const res = await api<{ items: { id: string; hardwareId: string }[] }>('GET', `/api/v1/agents?approval=pending&q=${hardwareId}`);
    return res.body.items.find((a) => a.hardwareId === hardwareId)?.id;
  }
  async function uses(tokenId: string): Promise<number | undefined> {
    return (await api<EnrollmentTokenView[]>('GET', `/api/v1/fleets/${fleetId}/enrollment-tokens`)).body.find((t) => t.id === tokenId)?.uses;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startTestPlane(db.url);
    api = await login(plane);
    fleetId = (await api<{ id: string }[]>('GET', '/api/v1/fleets')).body[0]!.id;
    dir = await mkdtemp(join(tmpdir(), 'ef-approval-'));
  });
  afterAll(async () => {
    await plane?.close();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('waits, survives a restart with the same key, and enrolls once approved', async () => {
    const stateDir = join(dir, 'box-a');
    const { id: tokenId, token } = await approvalToken();
    const params = { controlPlaneUrl: plane.url, token, hardwareId: 'approval-box-a', name: 'box-a' };

    // First run: two polls answered 202, then the box is switched off while waiting.
    const stop = new AbortController();
    let waits = 0;
    const firstRun = enroll(stateDir, params, {
      log,
      signal: stop.signal,
      sleep: async (ms, signal) => {
        expect(ms).toBeGreaterThanOrEqual(5000);
        if (++waits === 2) stop.abort(new Error('power cut'));
        if (signal?.aborted) throw signal.reason;
      },
    });
    await expect(firstRun).rejects.toThrow('power cut');
    expect(await loadIdentity(stateDir)).toBeUndefined();
    const agentId = await pendingAgentId('approval-box-a');
    expect(agentId).toBeDefined();
    expect(await uses(tokenId)).toBe(1);
    await stat(statePaths(stateDir).pendingEnrollment);

    // Second run: still pending at first; the operator approves during the wait.
    let approvedAt = 0;
    const identity = await enroll(stateDir, params, {
      log,
      sleep: async () => {
        approvedAt++;
        const res = await api('POST', `/api/v1/agents/${agentId}/approve`);
        expect(res.status).toBe(200);
      },
    });
    expect(approvedAt).toBe(1);
    expect(identity).toMatchObject({ agentId, fleetId, name: 'box-a', hardwareId: 'approval-box-a', brokerUrl: 'mqtts://localhost:8883' });
    expect(await uses(tokenId)).toBe(1);

    // The certificate is for the key the box asked with before the restart, and that key is agent.key.
    const { keyPem, certPem } = await loadCredentials(stateDir);
    const cert = new x509.X509Certificate(certPem);
    expect(cert.subject).toBe(`CN=${agentId}`);
    expect(Buffer.from(cert.publicKey.rawData).toString('base64')).toBe(createPublicKey(keyPem).export({ type: 'spki', format: 'der' }).toString('base64'));
    await expect(stat(statePaths(stateDir).pendingEnrollment)).rejects.toMatchObject({ code: 'ENOENT' });

    const agent = AgentViewSchema.parse((await api('GET', `/api/v1/agents/${agentId}`)).body);
    expect(agent).toMatchObject({ approval: 'approved', desiredRevision: 1 });
  });

  it('stops with ENROLLMENT_REJECTED when an operator rejects the box', async () => {
    const stateDir = join(dir, 'box-b');
    const { token } = await approvalToken();
    let polls = 0;
    const err = await enroll(stateDir, { controlPlaneUrl: plane.url, token, hardwareId: 'approval-box-b' }, {
      log,
      sleep: async () => {
        if (++polls < 3) return;
        const agentId = await pendingAgentId('approval-box-b');
        expect((await api('POST', `/api/v1/agents/${agentId}/reject`)).status).toBe(200);
      },
    }).catch((e: unknown) => e);
    expect(polls).toBe(3);
    expect(err).toBeInstanceOf(EnrollmentRefused);
    expect(err).toMatchObject({ status: 403, code: 'ENROLLMENT_REJECTED' });
    expect((err as Error).message).toContain('delete the agent record');
    expect(await loadIdentity(stateDir)).toBeUndefined();
  });
});
