// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, screen, within } from '@testing-library/react';
import type { AgentHealthHistory, AgentView, HeartbeatMessage } from '@edgefleet/protocol';
import { json, renderInConsole } from '../test-support/render-in-console';
import { healthSeries } from './AgentOverview';
import { AgentPage } from './AgentPage';

const heartbeat: HeartbeatMessage = {
  at: new Date().toISOString(),
  uptimeSec: 7_500,
  cpuPercent: 3.25,
  rssBytes: 80 * 1024 * 1024,
  heapUsedBytes: 20 * 1024 * 1024,
  appliedRevision: 2,
  devices: [{ name: 'press', driver: 'modbus-tcp', link: 'disconnected', polls: 120, pollErrors: 7, tagErrors: 0, lastPollAt: null, lastError: 'connect ECONNREFUSED 10.0.0.5:502' }],
  sinks: [{ name: 'cloud', kind: 'mqtt', link: 'disconnected', published: 5_000, errors: 2, dropped: 0, bufferDepth: 1_234, bufferOldestAgeMs: 95_000, bufferBytes: 2_048_000, lastError: 'broker unreachable' }],
};

const agent: AgentView = {
  id: '8a0b3c9e-1d2f-4a5b-9c8d-7e6f5a4b3c2d',
  fleetId: 'f',
  name: 'press-gw',
  hardwareId: 'hw-17',
  online: true,
  lastSeenAt: new Date().toISOString(),
  desiredRevision: 3,
  appliedRevision: 2,
  syncStatus: 'FAILED',
  lastError: { code: 'CONFIG_REJECTED', message: 'the config was refused', revision: 3, issues: [{ path: 'devices[0].groups[0].intervalMs', message: 'must be at least 10' }] },
  labels: { line: '7' },
  facts: { hostname: 'box-17', os: 'linux 6.1', arch: 'arm64', agentVersion: '0.1.0', nodeVersion: 'v20.20.0' },
  agentVersion: '0.1.0',
  devices: [],
  sinks: [],
  heartbeat,
  enrolledAt: '2026-12-01T10:00:00.000Z',
  approval: 'approved',
};

const history: AgentHealthHistory = {
  agentId: agent.id,
  sampleMs: 30_000,
  items: [0, 1, 2].map((i) => ({
    at: new Date(Date.parse('2026-12-03T10:00:00Z') + i * 30_000).toISOString(),
    uptimeSec: 100 + i * 30,
    cpuPercent: 2 + i,
    rssBytes: (70 + i) * 1024 * 1024,
    heapUsedBytes: 20 * 1024 * 1024,
    sinks: [{ name: 'cloud', link: 'disconnected' as const, bufferDepth: i * 100, bufferOldestAgeMs: i * 30_000, bufferBytes: i * 1000, dropped: 0 }],
    devices: [{ name: 'press', link: 'disconnected' as const, polls: 100 + i, pollErrors: i, tagErrors: 0, lastError: null }],
  })),
};

function fakeApi(): typeof fetch {
  return async (input) => {
    const url = new URL(String(input), 'http://console.test');
    if (url.pathname === `/api/v1/agents/${agent.id}`) return json(agent);
    if (url.pathname === `/api/v1/agents/${agent.id}/health`) return json(history);
    if (url.pathname.startsWith('/api/v1/agents/')) return json({ statusCode: 404, code: 'AGENT_NOT_FOUND', message: 'no agent 00000000-0000-4000-8000-000000000000' }, 404);
    return json({ statusCode: 404, code: 'NOT_FOUND', message: 'no route' }, 404);
  };
}

afterEach(cleanup);

describe('AgentPage', () => {
  it('shows the facts, health, sinks and devices, and the last error in words', async () => {
    renderInConsole(<AgentPage />, { fetch: fakeApi(), url: `/agents/${agent.id}`, path: '/agents/:id' });
    expect((await screen.findByTestId('agent-name')).textContent).toBe('press-gw');
    expect(screen.getByTestId('revisions').textContent).toBe('applied revision 2 of desired 3');
    const facts = screen.getByTestId('facts');
    expect(within(facts).getByText('box-17')).toBeTruthy();
    expect(within(facts).getByText('2 h 5 min')).toBeTruthy();
    expect(screen.getByText('3.3 %')).toBeTruthy();
    expect(screen.getByText('80.0 MiB')).toBeTruthy();
    const lastError = screen.getByTestId('last-error');
    expect(lastError.textContent).toContain('the config was refused');
    expect(lastError.textContent).toContain('devices[0].groups[0].intervalMs: must be at least 10');
    const sinkRow = within(screen.getByTestId('sinks')).getByText('cloud').closest('tr') as HTMLElement;
    expect(sinkRow.textContent).toContain('1,234');
    expect(sinkRow.textContent).toContain('1 min 35 s');
    expect(sinkRow.textContent).toContain('broker unreachable');
    const deviceRow = within(screen.getByTestId('devices')).getByText('press').closest('tr') as HTMLElement;
    expect(deviceRow.textContent).toContain('connect ECONNREFUSED 10.0.0.5:502');
    expect(await screen.findByText('CPU over the last hour')).toBeTruthy();
  });

  it('says so when the agent does not exist', async () => {
    renderInConsole(<AgentPage />, { fetch: fakeApi(), url: '/agents/00000000-0000-4000-8000-000000000000', path: '/agents/:id' });
    expect((await screen.findByRole('alert')).textContent).toContain('This agent does not exist');
  });
});

describe('healthSeries', () => {
  it('turns samples into chart series, one buffer series per sink', () => {
    const s = healthSeries(history);
    expect(s.cpu[0]?.points.map(([, v]) => v)).toEqual([2, 3, 4]);
    expect(s.memory.map((m) => m.label)).toEqual(['RSS MiB', 'Heap MiB']);
    expect(s.buffers).toEqual([{ label: 'cloud', points: history.items.map((h, i) => [Date.parse(h.at), i * 100]) }]);
  });
});
