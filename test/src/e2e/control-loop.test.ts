/**
 * The fleet control loop end to end: a real control plane, PostgreSQL and mTLS broker, and real
 * agent processes enrolled through `POST /api/v1/enrollments`.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentViewSchema,
  ConfigRevisionViewSchema,
  EnrollmentTokenCreatedSchema,
  configDigest,
  topics,
  type AgentView,
  type GroupValues,
} from '@edgefleet/protocol';
import { readStatusFile, statePaths } from '@edgefleet/agent';
import { startStack, type Stack } from '../support/stack.js';
import { spawnAgent, type AgentProcess } from '../support/agent-process.js';
import { PlaneClient } from '../support/plane-client.js';
import { grantedQos } from '../support/mqtt-grants.js';
import { eventually } from '../support/eventually.js';
import { AgentListSchema, FleetListSchema, ValuesSchema, simulatorConfig } from '../support/fixtures.js';



describe('fleet control loop', { timeout: 120_000 }, () => {
  let stack: Stack;
  let plane: PlaneClient;
  let dir: string;
  const agents: AgentProcess[] = [];
  let processA: AgentProcess;
  let fleetId: string;
  let a: AgentView;
  let b: AgentView;
  const dirA = () => path.join(dir, 'agent-a');

  const view = (id: string) => stack.api('GET', `/api/v1/agents/${id}`, undefined, AgentViewSchema);
  const values = (id: string) => stack.api('GET', `/api/v1/agents/${id}/values`, undefined, ValuesSchema);
  const putConfig = (id: string, document: unknown) => stack.api('PUT', `/api/v1/agents/${id}/config`, { document }, ConfigRevisionViewSchema);
  const fastGroup = async (id: string): Promise<GroupValues> => {
    const g = (await values(id)).groups.find((x) => x.device === 'sim' && x.group === 'fast');
    if (!g) throw new Error('no sim/fast values');
    return g as GroupValues;
  };
  const waitSync = (id: string, status: AgentView['syncStatus'], revision?: number) =>
    eventually(async () => {
      const v = await view(id);
      return v.syncStatus === status && (revision === undefined || v.desiredRevision === revision) ? v : undefined;
    }, `agent ${id} ${status}${revision ? ` at revision ${revision}` : ''}`);

  beforeAll(async () => {
    stack = await startStack();
    plane = await PlaneClient.connect(stack.broker.url, stack.ca);
    dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-e2e-'));
    const fleets = await stack.api('GET', '/api/v1/fleets', undefined, FleetListSchema);
    fleetId = (fleets.find((f) => f.name === 'default') ?? fleets[0])!.id;
  });

  afterAll(async () => {
    await Promise.allSettled(agents.map((p) => p.stop()));
    await plane?.close();
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('enrolls agents through the real path; each gets its own certificate and reaches IN_SYNC with live values', async () => {
    const token = await stack.api('POST', `/api/v1/fleets/${fleetId}/enrollment-tokens`, { description: 'e2e', maxUses: 2 }, EnrollmentTokenCreatedSchema);
    processA = await spawnAgent({ stateDir: dirA(), controlPlaneUrl: stack.apiUrl, token: token.token, name: 'agent-a', hardwareId: 'hw-a' });
    agents.push(processA);
    agents.push(await spawnAgent({ stateDir: path.join(dir, 'agent-b'), controlPlaneUrl: stack.apiUrl, token: token.token, name: 'agent-b', hardwareId: 'hw-b' }));
    const list = await eventually(async () => {
      const items = (await stack.api('GET', '/api/v1/agents', undefined, AgentListSchema)).items;
      const found = ['agent-a', 'agent-b'].map((n) => items.find((x) => x.name === n && x.syncStatus === 'IN_SYNC'));
      return found.every(Boolean) ? (found as AgentView[]) : undefined;
    }, 'both agents IN_SYNC');
    [a, b] = list as [AgentView, AgentView];
    expect(a.online).toBe(true);
    expect(a.appliedRevision).toBe(1);
    expect(a.desiredRevision).toBe(1);
    expect(a.lastSeenAt).not.toBeNull();

    // The certificate names the agent; the private key never left the box (it matches the certificate).
    const cert = new X509Certificate(await readFile(statePaths(dirA()).cert));
    expect(cert.subject).toBe(`CN=${a.id}`);
    expect(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(await readFile(statePaths(dirA()).key)))).toBe(true);
    expect(cert.verify(new X509Certificate(stack.ca.certPem).publicKey)).toBe(true);

    // Live values straight from the agent (the default fleet template: a simulator device).
    const v = await eventually(async () => ((await values(a.id)).groups.length > 0 ? values(a.id) : undefined), 'values');
    expect(v.groups.map((g) => `${g.device}/${g.group}`)).toEqual(expect.arrayContaining(['sim/fast']));
  });

  it('applies a changed config and reports IN_SYNC; the new tag shows in the live values', async () => {
    const rev = await putConfig(a.id, simulatorConfig({ extraTag: true }));
    expect(rev.revision).toBe(2);
    expect(rev.sha256).toBe(configDigest(rev.document));
    const synced = await waitSync(a.id, 'IN_SYNC', 2);
    expect(synced.appliedRevision).toBe(2);
    const g = await eventually(async () => {
      const f = await fastGroup(a.id);
      return typeof f.values.humidity === 'number' ? f : undefined;
    }, 'the new tag in the values');
    expect(g.values.humidity as number).toBeGreaterThanOrEqual(30);
    expect(g.values.humidity as number).toBeLessThanOrEqual(60);
  });

  it('refuses an invalid config with 400 naming the field, and stores nothing', async () => {
    const bad = simulatorConfig();
    (bad.devices![0]!.groups![1] as { intervalMs: number }).intervalMs = 5;
    const res = await stack.send('PUT', `/api/v1/agents/${a.id}/config`, { document: bad });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'devices[0].groups[1].intervalMs', message: 'must be at least 10' }] });
    expect((res.body as { message: string }).message).toContain('devices[0].groups[1].intervalMs: must be at least 10');
    expect((await view(a.id)).desiredRevision).toBe(2);
  });

  it('shows FAILED with the agent’s reason when it cannot apply a config, and keeps running the previous one', async () => {
    const rev = await putConfig(a.id, simulatorConfig({ extraTag: true, unusableSink: true }));
    const failed = await waitSync(a.id, 'FAILED', rev.revision);
    expect(failed.appliedRevision).toBe(2);
    expect(failed.lastError).toMatchObject({ code: 'CONFIG_APPLY_FAILED', revision: rev.revision });
    expect(failed.lastError?.message).toContain("sink 'cloud': the TLS client certificate and key cannot be used");
    // Still polling under revision 2.
    const before = (await fastGroup(a.id)).values.count as number;
    const after = await eventually(async () => {
      const c = (await fastGroup(a.id)).values.count as number;
      return c > before ? c : undefined;
    }, 'the counter to keep counting');
    expect(after).toBeGreaterThan(before);

    // Rolling back to revision 2 makes a new revision with that document.
    const rolled = await stack.api('POST', `/api/v1/agents/${a.id}/config/rollback`, { revision: 2 }, ConfigRevisionViewSchema);
    expect(rolled).toMatchObject({ revision: rev.revision + 1, rollbackOf: 2, sha256: (await stack.api('GET', `/api/v1/agents/${a.id}/config/revisions/2`, undefined, ConfigRevisionViewSchema)).sha256 });
    await waitSync(a.id, 'IN_SYNC', rolled.revision);
  });

  it('writes a writable point through the agent and reads the new value back', async () => {
    const res = await stack.send('POST', `/api/v1/agents/${a.id}/tags/write`, { device: 'sim', group: 'slow', tag: 'setpoint', value: 23.5 });
    expect(res.status).toBe(200);
    await eventually(async () => {
      const g = (await values(a.id)).groups.find((x) => x.group === 'slow');
      return g?.values.setpoint === 23.5 ? g : undefined;
    }, 'the written value');
    const ro = await stack.send('POST', `/api/v1/agents/${a.id}/tags/write`, { device: 'sim', group: 'fast', tag: 'count', value: 1 });
    expect(ro.body).toMatchObject({ code: 'TAG_NOT_WRITABLE' });
  });

  it('reboots into its last good config with the broker unreachable, then catches up', async () => {
    const desired = (await view(a.id)).desiredRevision;
    await processA.stop();
    await stack.stopBroker();
    const rebooted = await spawnAgent({ stateDir: dirA() });
    processA = rebooted;
    agents.push(rebooted);
    const status = await eventually(async () => {
      const s = await readStatusFile(statePaths(dirA()).status);
      return s.pid === rebooted.pid && (s.devices[0]?.polls ?? 0) > 3 ? s : undefined;
    }, 'the rebooted agent polling');
    expect(status).toMatchObject({ agentId: a.id, appliedRevision: desired, configSource: 'disk', connected: false });
    expect(status.devices.map((d) => d.name)).toEqual(['sim']);

    await stack.startBroker();
    const back = await eventually(async () => {
      const v = await view(a.id);
      return v.online && v.syncStatus === 'IN_SYNC' ? v : undefined;
    }, 'the agent back online and IN_SYNC', 60_000);
    expect(back.appliedRevision).toBe(desired);
  });

  it('an agent cannot subscribe to or publish on another agent’s topics', async () => {
    // Connect with agent A's own identity (its process stopped, so its client id is free).
    await processA.stop();
    const paths = statePaths(dirA());
    const client = mqtt.connect(stack.broker.url, {
      clientId: a.id,
      key: await readFile(paths.key),
      cert: await readFile(paths.cert),
      ca: await readFile(paths.ca),
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const grant = (filter: string) => grantedQos(client, filter);
    expect(await grant(topics.config(b.id))).toBe(128);
    expect(await grant('ef/v1/+/state')).toBe(128);
    expect(await grant(`ef/v1/${b.id}/#`)).toBe(128);
    expect(await grant('#')).toBe(128);
    expect(await grant(topics.config(a.id))).toBe(1);

    const forged = { appliedRevision: 999, appliedSha256: null, status: 'applied', revision: 999, error: null, devices: [], sinks: [], agentVersion: 'forged', startedAt: new Date().toISOString(), at: new Date().toISOString() };
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    client.publish(topics.state(b.id), JSON.stringify(forged), { qos: 1, retain: true });
    await closed;
    client.end(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(plane.states(b.id).some((s) => s.appliedRevision === 999)).toBe(false);
    expect((await view(b.id)).appliedRevision).toBe(1);
  });

  it('ignores stale and duplicate revisions and rejects a bad digest or an invalid document, keeping the last good config', async () => {
    await putConfig(b.id, simulatorConfig({ fastMs: 300 }));
    const current = await putConfig(b.id, simulatorConfig({ fastMs: 400 }));
    await waitSync(b.id, 'IN_SYNC', current.revision);
    expect(current.revision).toBe(3);
    // A stale revision (older than the applied one, with another document) and a duplicate of the applied one.
    const other = simulatorConfig({ fastMs: 777 });
    const countBefore = plane.states(b.id).length;
    await plane.publish(topics.config(b.id), { revision: 2, sha256: configDigest(other), document: other, issuedAt: new Date().toISOString() }, { retain: true });
    await plane.publish(topics.config(b.id), { revision: current.revision, sha256: current.sha256, document: current.document, issuedAt: new Date().toISOString() }, { retain: true });
    // A digest that does not match its document: rejected, nothing applied.
    await plane.publish(topics.config(b.id), { revision: 50, sha256: '0'.repeat(64), document: other, issuedAt: new Date().toISOString() }, { retain: true });
    const mismatch = await plane.waitState(b.id, (s) => s.revision === 50);
    expect(mismatch).toMatchObject({ status: 'rejected', appliedRevision: 3, error: { code: 'CONFIG_DIGEST_MISMATCH' } });
    // The stale and duplicate messages (sent before) produced no state of their own.
    expect(plane.states(b.id).slice(countBefore).filter((s) => s.revision !== 50)).toEqual([]);

    // An invalid document with a correct digest: rejected with every failing path.
    const invalid = { devices: [{ name: 'sim', driver: 'simulator', groups: [{ name: 'fast', intervalMs: 5, tags: [] }] }] };
    await plane.publish(topics.config(b.id), { revision: 51, sha256: configDigest(invalid), document: invalid, issuedAt: new Date().toISOString() }, { retain: true });
    const rejected = await plane.waitState(b.id, (s) => s.revision === 51);
    expect(rejected).toMatchObject({ status: 'rejected', appliedRevision: 3, error: { code: 'CONFIG_INVALID', issues: [{ path: 'devices[0].groups[0].intervalMs', message: 'must be at least 10' }] } });

    // Malformed payloads do not hurt the agent either.
    await plane.publish(topics.config(b.id), 'not json at all');
    await plane.publish(topics.command(b.id, 'garbage-request-1'), '{"command":');
    // It still runs revision 3 (fast group every 400 ms, not the stale 777 ms) and answers.
    const before = (await fastGroup(b.id)).values.count as number;
    await eventually(async () => ((await fastGroup(b.id)).values.count as number) > before, 'agent B still polling');
    expect((await view(b.id)).appliedRevision).toBe(3);
    const running = await stack.api('GET', `/api/v1/agents/${b.id}/config`, undefined, ConfigRevisionViewSchema);
    expect((running.document as { devices: { groups: { intervalMs: number }[] }[] }).devices[0]?.groups[0]?.intervalMs).toBe(400);
  });
});
