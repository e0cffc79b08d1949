import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentViewSchema, EnrollmentTokenCreatedSchema } from '@edgefleet/protocol';
import { spawnAgent, type AgentProcess } from './agent-process.js';
import { startStack, type Stack } from './stack.js';
import { eventually } from './eventually.js';
import { AgentListSchema, FleetListSchema } from './fixtures.js';


describe('end-to-end support', () => {
  let stack: Stack | undefined;
  let agent: AgentProcess | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await agent?.stop();
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a stack, enrolls a real agent process, and survives a broker outage', { timeout: 90_000 }, async () => {
    stack = await startStack();
    dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-stack-'));
    const s = stack;
    expect(await s.send('GET', '/api/v1/agents')).toMatchObject({ status: 200 });

    const fleets = await s.api('GET', '/api/v1/fleets', undefined, FleetListSchema);
    const fleet = fleets.find((f) => f.name === 'default');
    expect(fleet).toBeDefined();
    const created = await s.api('POST', `/api/v1/fleets/${fleet?.id}/enrollment-tokens`, { description: 'support test', maxUses: 1 }, EnrollmentTokenCreatedSchema);

    agent = await spawnAgent({ stateDir: path.join(dir, 'a1'), controlPlaneUrl: s.apiUrl, token: created.token, name: 'a1', hardwareId: 'hw-a1' });
    const online = async () => (await s.api('GET', '/api/v1/agents', undefined, AgentListSchema)).items.find((a) => a.name === 'a1' && a.online);
    const view = await eventually(online, 'the agent online');
    expect(view.hardwareId).toBe('hw-a1');
    expect(s.broker.clientCount()).toBeGreaterThanOrEqual(2);

    await s.stopBroker();
    expect(() => s.broker).toThrow(/stopped/);
    await new Promise((r) => setTimeout(r, 1_000));
    await s.startBroker();
    // Both the plane and the agent find the broker again on the same port.
    await eventually(async () => (s.broker.clientCount() >= 2 ? true : undefined), 'the agent and the plane reconnected', 40_000);
    await eventually(async () => ((await s.api('GET', `/api/v1/agents/${view.id}`, undefined, AgentViewSchema)).online ? true : undefined), 'the agent online');

    const a = agent;
    agent = undefined;
    await a.stop();
    expect(await a.exited, `the agent did not stop cleanly; its output:\n${a.output()}`).toEqual({ code: 0, signal: null });
    expect(a.output()).toMatch(/enrolled/);
  });
});
