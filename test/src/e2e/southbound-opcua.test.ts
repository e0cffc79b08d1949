/**
 * An OPC UA server commissioned and run from the control plane, end to end, the way an operator
 * does it: test the connection (the server's certificate is reported, not trusted silently),
 * trust it through the API, save the device, browse for tags, watch values, write one, and
 * survive a server restart with no one touching anything.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentViewSchema,
  BrowseResultSchema,
  ConfigRevisionViewSchema,
  TestConnectionResultSchema,
  type AgentConfigInput,
  type DeviceInput,
} from '@edgefleet/protocol';
import { startStack, type Stack } from '../support/stack.js';
import type { AgentProcess } from '../support/agent-process.js';
import { startEnrolledAgent } from '../support/enrolled-agent.js';
import { PlaneClient } from '../support/plane-client.js';
import { eventually } from '../support/eventually.js';
import { ValuesSchema } from '../support/fixtures.js';
import { OpcUaPeer } from '../peers/opcua/opcua-server.js';

describe('southbound: an OPC UA server commissioned from the control plane', { timeout: 180_000 }, () => {
  let stack: Stack;
  let plane: PlaneClient;
  let peer: OpcUaPeer;
  let dir: string;
  let agent: AgentProcess;
  let agentId: string;
  const base = () => `/api/v1/agents/${agentId}`;
  const view = async () => stack.api('GET', base(), undefined, AgentViewSchema);
  const line = async () => (await stack.api('GET', `${base()}/values`, undefined, ValuesSchema)).groups.find((g) => g.device === 'plc' && g.group === 'line');

  const device = (): DeviceInput => ({
    name: 'plc',
    driver: 'opcua',
    settings: { endpointUrl: peer.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', reconnectMinMs: 200, reconnectMaxMs: 1000 },
    groups: [
      {
        name: 'line',
        intervalMs: 100,
        tags: [
          { name: 'counter', address: 'ns=1;s=Dynamic.Counter', type: 'uint32' },
          { name: 'setpoint', address: 'ns=1;s=Static.Double', type: 'float64', access: 'rw' },
        ],
      },
    ],
  });

  beforeAll(async () => {
    peer = await OpcUaPeer.start();
    stack = await startStack();
    plane = await PlaneClient.connect(stack.broker.url, stack.ca);
    dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-opcua-e2e-'));
    ({ agent, agentId } = await startEnrolledAgent(stack, dir, 'opcua-gateway'));
  });

  afterAll(async () => {
    await agent?.stop();
    await plane?.close();
    await stack?.close();
    await peer?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('tests the connection first and reports the server certificate instead of trusting it', async () => {
    const res = await stack.send('POST', `${base()}/devices/test-connection`, { device: device() });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const result = TestConnectionResultSchema.parse(res.body);
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('CERTIFICATE_UNTRUSTED');
    expect(result.serverCertificate?.fingerprint).toBe(peer.certificateFingerprint);
    expect(result.serverCertificate?.pem).toContain('BEGIN CERTIFICATE');
    expect(result.message).toContain(peer.certificateFingerprint);
  });

  it('saves the device; until its certificate is trusted the fleet view says why it is not connected', async () => {
    const config: AgentConfigInput = { agent: { heartbeatIntervalMs: 1000 }, devices: [device()] };
    const rev = await stack.api('PUT', `${base()}/config`, { document: config }, ConfigRevisionViewSchema);
    await plane.waitApplied(agentId, rev.revision);
    const refused = await eventually(async () => (await view()).devices.find((d) => d.name === 'plc' && d.link === 'error'), 'the device shown refused');
    expect(refused.error).toContain(peer.certificateFingerprint);
  });

  it('trusts the certificate through the API; the agent connects and values flow', async () => {
    const trusted = await stack.send('POST', `${base()}/devices/plc/trusted-certificates`, { fingerprint: peer.certificateFingerprint });
    expect(trusted.status, JSON.stringify(trusted.body)).toBe(201);
    const rev = ConfigRevisionViewSchema.parse(trusted.body);
    await plane.waitApplied(agentId, rev.revision);
    await eventually(async () => (await view()).devices.find((d) => d.name === 'plc')?.link === 'connected', 'the device connected');
    const first = await eventually(async () => {
      const v = await line();
      return typeof v?.values.counter === 'number' ? v : undefined;
    }, 'counter values');
    await eventually(async () => ((await line())?.values.counter as number) > (first.values.counter as number), 'the counter moving');
  });

  it('browses the address space so tags can be picked', async () => {
    const res = await stack.send('POST', `${base()}/browse`, { device: 'plc', nodeId: 'ns=1;s=Plant' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const browsed = BrowseResultSchema.parse(res.body);
    expect(browsed.children.map((c) => c.browseName).sort()).toEqual(expect.arrayContaining(['1:Dynamic', '1:Line1', '1:Static']));
    const dynamic = BrowseResultSchema.parse((await stack.send('POST', `${base()}/browse`, { device: 'plc', nodeId: 'ns=1;s=Dynamic' })).body);
    expect(dynamic.children.find((c) => c.nodeId === 'ns=1;s=Dynamic.Counter')).toMatchObject({ nodeClass: 'Variable', dataType: 'UInt32', tagType: 'uint32', readable: true });
  });

  it('writes a value typed by the variable and reads it on the server', async () => {
    const res = await stack.send('POST', `${base()}/tags/write`, { device: 'plc', group: 'line', tag: 'setpoint', value: 42.25 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(peer.get('ns=1;s=Static.Double')).toBe(42.25);
    await eventually(async () => (await line())?.values.setpoint === 42.25, 'the written value reported back');
  });

  it('after a server restart the session and subscription come back by themselves and data resumes', async () => {
    await peer.restart();
    const restartedAt = Date.now();
    // The restarted server counts from 0 again: a low counter stamped after the restart proves fresh data.
    await eventually(
      async () => {
        const v = await line();
        return v !== undefined && v.timestamp > restartedAt && typeof v.values.counter === 'number' && v.values.counter < 1000 && Object.keys(v.errors).length === 0;
      },
      'fresh values after the restart',
      60_000,
    );
    // The agent republishes its state within a second of the link coming back.
    await eventually(async () => (await view()).devices.find((d) => d.name === 'plc')?.link === 'connected', 'the fleet view showing the device connected again');
  });
});
