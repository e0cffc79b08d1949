// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import type { AgentView } from '@edgefleet/protocol';
import { agentView } from '../test-support/agent-view';
import { renderInConsole } from '../test-support/render-in-console';
import { FleetOverview } from './FleetOverview';

const agent = (name: string, syncStatus: AgentView['syncStatus']): AgentView =>
  agentView({
    id: `id-${name}`,
    name,
    hardwareId: `hw-${name}`,
    online: syncStatus !== 'OFFLINE',
    desiredRevision: 3,
    appliedRevision: syncStatus === 'IN_SYNC' ? 3 : 2,
    syncStatus,
    lastError: syncStatus === 'FAILED' ? { code: 'CONFIG_APPLY_FAILED', message: "sink 'cloud': the TLS client certificate cannot be used", revision: 3 } : null,
    labels: { line: '7' },
  });

/** A fetch that answers GET /api/v1/agents from a list, as the control plane filters and pages it. */
function fakeApi(agents: AgentView[], seen: string[]): typeof fetch {
  return async (input) => {
    const url = new URL(String(input), 'http://console.test');
    seen.push(url.pathname + url.search);
    const status = url.searchParams.get('status');
    const limit = Number(url.searchParams.get('limit'));
    const offset = Number(url.searchParams.get('offset'));
    const q = url.searchParams.get('q')?.toLowerCase();
    const labels = url.searchParams.getAll('label').map((l) => l.split('='));
    const matching = agents
      .filter((a) => !status || a.syncStatus === status)
      .filter((a) => !q || a.name.toLowerCase().includes(q) || a.hardwareId.toLowerCase().includes(q))
      .filter((a) => labels.every(([k = '', v]) => (v === undefined ? k in a.labels : a.labels[k] === v)));
    if (url.searchParams.get('sort') === '-name') matching.sort((x, y) => y.name.localeCompare(x.name));
    return new Response(JSON.stringify({ items: matching.slice(offset, offset + limit), total: matching.length, limit, offset }), { status: 200, headers: { 'content-type': 'application/json' } });
  };
}

function renderWith(fetchImpl: typeof fetch) {
  return renderInConsole(<FleetOverview />, { fetch: fetchImpl });
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
    expect(seen).toContain('/api/v1/agents?limit=50&offset=0&sort=name');
    expect(seen).toContain('/api/v1/agents?limit=1&offset=0&status=FAILED');
  });

  it('says what to do when there are no agents, and shows an API failure in words', async () => {
    renderWith(fakeApi([], []));
    expect(await screen.findByText(/No agents yet/)).toBeTruthy();
    cleanup();
    renderWith(async () => new Response(JSON.stringify({ code: 'UNAUTHORIZED', message: 'the session expired; sign in again' }), { status: 401 }));
    expect((await screen.findByRole('alert')).textContent).toContain('the session expired; sign in again');
  });

  it('filters by text and labels and sorts through the API, and links each agent to its page', async () => {
    const seen: string[] = [];
    const a = agent('press-gw', 'IN_SYNC');
    const b = { ...agent('oven-gw', 'IN_SYNC'), labels: { line: '8' } };
    renderWith(fakeApi([a, b], seen));
    expect(((await screen.findByText('press-gw')).closest('a') as HTMLAnchorElement).getAttribute('href')).toBe('/agents/id-press-gw');
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'PRESS' } });
    await waitFor(() => expect(screen.queryByText('oven-gw')).toBeNull());
    expect(seen).toContain('/api/v1/agents?limit=50&offset=0&q=PRESS&sort=name');
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Labels'), { target: { value: 'line=8' } });
    await waitFor(() => expect(screen.queryByText('press-gw')).toBeNull());
    expect(screen.getByText('oven-gw')).toBeTruthy();
    expect(seen).toContain('/api/v1/agents?limit=50&offset=0&label=line%3D8&sort=name');
    fireEvent.change(screen.getByLabelText('Labels'), { target: { value: 'site' } });
    expect(await screen.findByText('No agent matches these filters.')).toBeTruthy();
  });
});
