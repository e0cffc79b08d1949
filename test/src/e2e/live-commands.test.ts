/**
 * Live commands end to end: the REST routes of a real control plane, the fleet broker, and a real
 * agent process enrolled through the API and running a simulator device.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentViewSchema,
  ApiErrorSchema,
  ConfigRevisionViewSchema,
  EnrollmentTokenCreatedSchema,
  GroupValuesSchema,
  TestConnectionResultSchema,
  WriteResultSchema,
  type AgentConfigInput,
  type ApiError,
} from '@edgefleet/protocol';
import { startStack, type Stack } from '../support/stack.js';
import { spawnAgent, type AgentProcess } from '../support/agent-process.js';
import { PlaneClient } from '../support/plane-client.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/ports.js';
import { AgentListSchema, FleetListSchema, simulatorConfig } from '../support/fixtures.js';

/** A device as commissioning sends it: not in the config, given in full. */
const benchDevice = {
  name: 'bench',
  driver: 'simulator',
  settings: { seed: 1 },
  groups: [
    { name: 'probe', intervalMs: 1000, tags: [{ name: 'level', address: 'memory(initial=4)', type: 'float64', scale: 0.5 }, { name: 'n', address: 'counter(start=10)', type: 'uint16' }] },
    { name: 'flags', intervalMs: 1000, tags: [{ name: 'on', address: 'memory(initial=1)', type: 'bool' }] },
  ],
};

const pressWithAddress = (address: string) => ({
  name: 'press-1',
  driver: 'modbus-tcp',
  settings: { host: '127.0.0.1', port: 1502 },
  groups: [{ name: 'g', intervalMs: 1000, tags: [{ name: 'pressure', address, type: 'float32' }] }],
});

describe('live commands', { timeout: 120_000 }, () => {
  let stack: Stack;
  let plane: PlaneClient;
  let dir: string;
  let agent: AgentProcess;
  let agentId: string;
  const base = () => `/api/v1/agents/${agentId}`;

  const post = (route: string, body: unknown) => stack.send('POST', `${base()}/${route}`, body);
  const apiError = (res: { status: number; body: unknown }): ApiError => ApiErrorSchema.parse(res.body);
  const readNow = async (body: Record<string, unknown>) => {
    const res = await post('tags/read', body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return GroupValuesSchema.parse(res.body);
  };

  beforeAll(async () => {
    stack = await startStack();
    plane = await PlaneClient.connect(stack.broker.url, stack.ca);
    dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-live-'));
    const fleets = await stack.api('GET', '/api/v1/fleets', undefined, FleetListSchema);
    const token = await stack.api('POST', `/api/v1/fleets/${fleets[0]!.id}/enrollment-tokens`, { maxUses: 1 }, EnrollmentTokenCreatedSchema);
    agent = await spawnAgent({ stateDir: path.join(dir, 'agent'), controlPlaneUrl: stack.apiUrl, token: token.token, name: 'live-agent', hardwareId: 'hw-live' });
    agentId = await eventually(async () => (await stack.api('GET', '/api/v1/agents', undefined, AgentListSchema)).items.find((a) => a.name === 'live-agent' && a.online)?.id, 'the agent enrolled and online');
    const config: AgentConfigInput = simulatorConfig({ sink: false });
    // An OPC UA device, disabled: its certificates can be trusted without a server to connect to.
    config.devices = [...(config.devices ?? []), { name: 'oven', driver: 'opcua', enabled: false, settings: { endpointUrl: 'opc.tcp://127.0.0.1:1/oven', securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' }, groups: [{ name: 'g', intervalMs: 1000, tags: [{ name: 'temp', address: 'ns=2;s=Oven.Temp', type: 'float64' }] }] }];
    const rev = await stack.api('PUT', `${base()}/config`, { document: config }, ConfigRevisionViewSchema);
    await plane.waitApplied(agentId, rev.revision);
  });

  afterAll(async () => {
    await agent?.stop();
    await plane?.close();
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads a group from the device now, and one tag of it', async () => {
    const first = await readNow({ device: 'sim', group: 'fast' });
    expect(first).toMatchObject({ device: 'sim', group: 'fast', errors: {} });
    expect(Object.keys(first.values).sort()).toEqual(['count', 'temperature']);
    expect(first.values.temperature as number).toBeGreaterThanOrEqual(15);
    expect(first.values.temperature as number).toBeLessThanOrEqual(25);
    // Read from the device, not from the last poll: the counter has moved on.
    const second = await readNow({ device: 'sim', group: 'fast', tag: 'count' });
    expect(Object.keys(second.values)).toEqual(['count']);
    expect(second.values.count as number).toBeGreaterThan(first.values.count as number);
    expect(second.timestamp).toBeGreaterThanOrEqual(first.timestamp);
  });

  it('writes a value, reporting how long the device took, and reads it back', async () => {
    const res = await post('tags/write', { device: 'sim', group: 'slow', tag: 'setpoint', value: 23.5 });
    expect(res.status).toBe(200);
    const written = WriteResultSchema.parse(res.body);
    expect(written).toMatchObject({ device: 'sim', group: 'slow', tag: 'setpoint', value: 23.5 });
    expect(written.durationMs).toBeGreaterThanOrEqual(0);
    expect(written.durationMs).toBeLessThan(1000);
    expect((await readNow({ device: 'sim', group: 'slow', tag: 'setpoint' })).values).toEqual({ setpoint: 23.5 });
    // The agent checks the value against the tag's type before it reaches the device.
    const wrongType = await post('tags/write', { device: 'sim', group: 'slow', tag: 'setpoint', value: 'warm' });
    expect(wrongType.status).toBe(400);
    expect(apiError(wrongType)).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'value', message: "tag 'setpoint' is float64; write a finite number" }] });
    expect((await readNow({ device: 'sim', group: 'slow' })).values).toEqual({ setpoint: 23.5 });
  });

  it('answers 404 naming what is missing, and 422 for a read-only tag', async () => {
    const missing = async (body: Record<string, unknown>, route = 'tags/read') => {
      const res = await post(route, body);
      expect(res.status).toBe(404);
      return apiError(res);
    };
    expect(await missing({ device: 'press-9', group: 'fast' })).toEqual({ statusCode: 404, code: 'TAG_NOT_FOUND', message: "no device named 'press-9' in the running config" });
    expect((await missing({ device: 'sim', group: 'medium' })).message).toBe("device 'sim' has no group named 'medium'");
    expect((await missing({ device: 'sim', group: 'fast', tag: 'pressure' })).message).toBe("group 'fast' of device 'sim' has no tag named 'pressure'");
    expect((await missing({ device: 'sim', group: 'fast', tag: 'pressure', value: 1 }, 'tags/write')).code).toBe('TAG_NOT_FOUND');
    expect((await missing({ device: 'press-9' }, 'browse')).code).toBe('TAG_NOT_FOUND');
    const readOnly = await post('tags/write', { device: 'sim', group: 'fast', tag: 'count', value: 1 });
    expect(readOnly.status).toBe(422);
    expect(apiError(readOnly)).toMatchObject({ code: 'TAG_NOT_WRITABLE', message: "tag 'count' is read-only (access 'r')" });
  });

  it('refuses bad bodies with 400 naming the field, a bad Modbus address by its tag', async () => {
    const noValue = await post('tags/write', { device: 'sim', group: 'slow', tag: 'setpoint' });
    expect(noValue.status).toBe(400);
    expect(apiError(noValue).issues).toEqual([{ path: 'value', message: 'is required' }]);
    const noGroup = await post('tags/read', { device: 'sim', tag: 'count' });
    expect(apiError(noGroup)).toMatchObject({ statusCode: 400, issues: [{ path: 'group', message: 'is required' }] });

    const badAddress = await post('devices/test-connection', { device: pressWithAddress('1!400001.20') });
    expect(badAddress.status).toBe(400);
    const error = apiError(badAddress);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues).toHaveLength(1);
    expect(error.issues![0]!.path).toBe('device.groups[0].tags[0].address');
    expect(error.issues![0]!.message).toMatch(/^tag 'pressure'/);
    expect(error.message).toContain("device.groups[0].tags[0].address: tag 'pressure'");

    const badNode = await post('browse', { device: 'sim', nodeId: 'Objects' });
    expect(apiError(badNode)).toMatchObject({ statusCode: 400, issues: [{ path: 'nodeId', message: expect.stringContaining("'Objects' is not a NodeId") }] });
  });

  it('tests the connection of an unsaved simulator device: ok, with one read of each group', async () => {
    const res = await post('devices/test-connection', { device: benchDevice });
    expect(res.status).toBe(200);
    const result = TestConnectionResultSchema.parse(res.body);
    expect(result).toMatchObject({
      ok: true,
      message: "connected to 'bench' and read 3 tags",
      groups: [
        { device: 'bench', group: 'probe', values: { level: 2, n: 10 }, errors: {} },
        { device: 'bench', group: 'flags', values: { on: true }, errors: {} },
      ],
    });
    expect(result.error).toBeUndefined();
    // It was only a test: the running config does not have the device.
    expect(apiError(await post('tags/read', { device: 'bench', group: 'probe' })).code).toBe('TAG_NOT_FOUND');
  });

  it('tests a Modbus TCP device on a closed port: ok false, at once, saying why', async () => {
    const port = await freePort(); // bound by the system, then released: nothing listens there
    const started = Date.now();
    const res = await post('devices/test-connection', { device: { ...pressWithAddress('1!400001'), settings: { host: '127.0.0.1', port } } });
    expect(res.status).toBe(200);
    const result = TestConnectionResultSchema.parse(res.body);
    expect(result).toMatchObject({ ok: false, error: { code: 'DEVICE_ERROR' }, groups: [] });
    expect(result.message).toMatch(new RegExp(`^device 'press-1' could not be connected: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
    // Not when the 30 s default runs out: at the first refused attempt.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('answers a browse of a simulator, configured or unsaved, with 422 OPERATION_UNSUPPORTED', async () => {
    for (const device of ['sim', benchDevice]) {
      const res = await post('browse', { device });
      expect(res.status).toBe(422);
      expect(apiError(res)).toMatchObject({ code: 'OPERATION_UNSUPPORTED', message: 'a simulator device has no address space to browse; only OPC UA devices can be browsed' });
    }
  });

  it('answers a read of a disabled device with 409, saying so', async () => {
    const res = await post('tags/read', { device: 'oven', group: 'g' });
    expect(res.status).toBe(409);
    expect(apiError(res)).toEqual({ statusCode: 409, code: 'CONFLICT', message: "device 'oven' is disabled in the running config; enable it to read it" });
  });

  it('trusts and distrusts a server certificate in new revisions that the agent applies', async () => {
    const fingerprint = 'C0:FF:EE:'.repeat(10) + 'C0:FF';
    const normal = fingerprint.replace(/:/g, '').toLowerCase();
    const trustedOf = (document: unknown): string[] => {
      const oven = (document as { devices: { name: string; settings: { trustedServerCertificates?: string[] } }[] }).devices.find((d) => d.name === 'oven');
      return oven?.settings.trustedServerCertificates ?? [];
    };
    const before = (await stack.api('GET', `${base()}/config`, undefined, ConfigRevisionViewSchema)).revision;

    const trust = await stack.send('POST', `${base()}/devices/oven/trusted-certificates`, { fingerprint });
    expect(trust.status).toBe(201);
    const trusted = ConfigRevisionViewSchema.parse(trust.body);
    expect(trusted).toMatchObject({ revision: before + 1, author: 'admin' });
    expect(trustedOf(trusted.document)).toEqual([normal]);
    await plane.waitApplied(agentId, trusted.revision);
    // The test hears the agent's state on the broker first; the plane's view follows once ingested.
    await eventually(async () => (await stack.api('GET', base(), undefined, AgentViewSchema)).appliedRevision === trusted.revision, 'the plane showing the trusted revision applied');

    // Idempotent: no new revision.
    const again = await stack.send('POST', `${base()}/devices/oven/trusted-certificates`, { fingerprint: normal });
    expect(again.status).toBe(200);
    expect(ConfigRevisionViewSchema.parse(again.body).revision).toBe(trusted.revision);

    const distrust = await stack.send('DELETE', `${base()}/devices/oven/trusted-certificates/${normal}`);
    expect(distrust.status).toBe(200);
    const distrusted = ConfigRevisionViewSchema.parse(distrust.body);
    expect(distrusted.revision).toBe(trusted.revision + 1);
    expect(trustedOf(distrusted.document)).toEqual([]);
    await plane.waitApplied(agentId, distrusted.revision);

    // Only OPC UA devices have server certificates; unknown devices are 404.
    expect(apiError(await stack.send('POST', `${base()}/devices/sim/trusted-certificates`, { fingerprint }))).toMatchObject({ statusCode: 400, issues: [{ path: 'device' }] });
    expect(apiError(await stack.send('POST', `${base()}/devices/kiln/trusted-certificates`, { fingerprint }))).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect(apiError(await stack.send('POST', `${base()}/devices/oven/trusted-certificates`, { fingerprint: 'c0ffee' }))).toMatchObject({ statusCode: 400, issues: [{ path: 'fingerprint' }] });
    // The agent still answers on the simulator after both revisions.
    expect((await readNow({ device: 'sim', group: 'slow' })).values).toEqual({ setpoint: 23.5 });
  });

  it('answers 504 when the agent does not answer in time, and never hangs', async () => {
    // Frozen, the agent keeps its broker connection (and so its presence) but answers nothing.
    agent.kill('SIGSTOP');
    try {
      for (const [route, body] of [
        ['tags/read', { device: 'sim', group: 'fast' }],
        ['devices/test-connection', { device: benchDevice }],
      ] as const) {
        const started = Date.now();
        const res = await post(`${route}?timeoutMs=500`, body);
        expect(res.status, route).toBe(504);
        expect(apiError(res)).toEqual({ statusCode: 504, code: 'AGENT_TIMEOUT', message: 'The agent did not answer in time' });
        expect(Date.now() - started).toBeLessThan(3000);
      }
    } finally {
      agent.kill('SIGCONT');
    }
    // Thawed, it drops the requests whose deadline passed and answers new ones.
    expect((await readNow({ device: 'sim', group: 'slow' })).values).toEqual({ setpoint: 23.5 });
  });

  it('answers 409 while the agent is offline', async () => {
    await agent.stop();
    await eventually(async () => !(await stack.api('GET', base(), undefined, AgentViewSchema)).online, 'the agent offline');
    for (const [route, body] of [
      ['tags/read', { device: 'sim', group: 'fast' }],
      ['tags/write', { device: 'sim', group: 'slow', tag: 'setpoint', value: 1 }],
      ['browse', { device: 'sim' }],
      ['devices/test-connection', { device: benchDevice }],
    ] as const) {
      const res = await post(route, body);
      expect(res.status, route).toBe(409);
      expect(apiError(res).code).toBe('AGENT_OFFLINE');
    }
  });
});
