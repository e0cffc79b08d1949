// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { AgentView } from '@edgefleet/protocol';
import { ApiClient } from '../api/client';
import { FleetOverview } from './FleetOverview';

const agent = (name: string, syncStatus: AgentView['syncStatus']): AgentView => ({
  id: `id-${name}`,
  fleetId: 'f',
  name,
  hardwareId: `hw-${name}`,
  online: syncStatus !== 'OFFLINE',
  lastSeenAt: '2026-12-03T10:00:00.000Z',
  desiredRevision: 3,
  appliedRevision: syncStatus === 'IN_SYNC' ? 3 : 2,
  syncStatus,
  lastError: syncStatus === 'FAILED' ? { code: 'CONFIG_APPLY_FAILED', message: "sink 'cloud': the TLS client certificate cannot be used", revision: 3 } : null,
  labels: { line: '7' },
  facts: {},
  agentVersion: '0.1.0',
  devices: [],
  sinks: [],
  heartbeat: null,
  enrolledAt: '2026-12-01T10:00:00.000Z',
});

/** A fetch that answers GET /api/v1/agents from a list, as the control plane filters and pages it. */
function fakeApi(agents: AgentView[], seen: string[]): typeof fetch {
  return async (input) => {
    const url = new URL(String(input), 'http://console.test');
    seen.push(url.pathname + url.search);
    const status = url.searchParams.get('status');
    const limit = Number(url.searchParams.get('limit'));
    const offset = Number(url.searchParams.get('offset'));
    const matching = agents.filter((a) => !status || a.syncStatus === status);
    return new Response(JSON.stringify({ items: matching.slice(offset, offset + limit), total: matching.length, limit, offset }), { status: 200, headers: { 'content-type': 'application/json' } });
  };
}

function renderWith(fetchImpl: typeof fetch) {
  const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <MantineProvider>
      <QueryClientProvider client={queries}>
        <FleetOverview client={new ApiClient('token', fetchImpl)} />
      </QueryClientProvider>
    </MantineProvider>,
  );
}

afterEach(cleanup);

describe('FleetOverview', () => {
  it('lists the agents with their status and revisions, and counts them by status', async () => {
    const seen: string[] = [];
    renderWith(fakeApi([agent('press-gw', 'IN_SYNC'), agent('oven-gw', 'FAILED'), agent('kiln-gw', 'OFFLINE')], seen));
    expect(await screen.findByText('press-gw')).toBeTruthy();
    expect(screen.getByText('oven-gw')).toBeTruthy();
    expect(screen.getByText("sink 'cloud': the TLS client certificate cannot be used")).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('count-IN_SYNC').textContent).toBe('1'));
    expect(screen.getByTestId('count-FAILED').textContent).toBe('1');
    expect(screen.getByTestId('count-PENDING').textContent).toBe('0');
    expect(screen.getByTestId('count-OFFLINE').textContent).toBe('1');
    expect(seen).toContain('/api/v1/agents?limit=50&offset=0');
    expect(seen).toContain('/api/v1/agents?limit=1&offset=0&status=FAILED');
  });

  it('says what to do when there are no agents, and shows an API failure in words', async () => {
    renderWith(fakeApi([], []));
    expect(await screen.findByText(/No agents yet/)).toBeTruthy();
    cleanup();
    renderWith(async () => new Response(JSON.stringify({ code: 'UNAUTHORIZED', message: 'the session expired; sign in again' }), { status: 401 }));
    expect((await screen.findByRole('alert')).textContent).toContain('the session expired; sign in again');
  });
});
