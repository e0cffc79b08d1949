// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInConsole } from '../test-support/render-in-console';
import { FLEET, fakeAgent, fakeProvisioningApi } from './provisioning-api.fake';
import { Provisioning } from './Provisioning';

afterEach(cleanup);

const press = () =>
  fakeAgent('press-gw', {
    hardwareId: 'b8:27:eb:01:02:03',
    labels: { line: '7' },
    facts: { hostname: 'press-gw.local', os: 'linux', arch: 'arm64', nodeVersion: 'v22.11.0' },
    agentVersion: '0.4.1',
    enrolledAt: new Date(Date.now() - 5 * 60_000).toISOString(),
  });
const oven = () => fakeAgent('oven-gw', { enrolledAt: new Date(Date.now() - 60_000).toISOString() });

const rows = () => screen.queryAllByTestId('pending-agent');
const rowOf = async (name: string) => (await screen.findByText(name)).closest('[data-testid="pending-agent"]') as HTMLElement;

describe('Waiting for approval', () => {
  it('lists the waiting boxes, oldest first, with their hardware id, facts, labels and when they asked', async () => {
    const api = fakeProvisioningApi({ agents: [oven(), press(), fakeAgent('running-gw', { approval: 'approved' })] });
    renderInConsole(<Provisioning />, { fetch: api.fetch });
    const card = await screen.findByTestId('pending-agents');
    await waitFor(() => expect(rows().map((r) => r.getAttribute('data-agent-id'))).toEqual(['a-press-gw', 'a-oven-gw']));
    expect(within(card).getByTestId('pending-count').textContent).toBe('2');
    expect(within(card).queryByText('running-gw')).toBeNull();

    const row = await rowOf('press-gw');
    expect(row.getAttribute('data-hardware-id')).toBe('b8:27:eb:01:02:03');
    expect(within(row).getByText('b8:27:eb:01:02:03')).toBeTruthy();
    expect(row.textContent).toContain('Host: press-gw.local');
    expect(row.textContent).toContain('OS: linux arm64');
    expect(row.textContent).toContain('Agent: 0.4.1');
    expect(within(row).getByText('line=7')).toBeTruthy();
    expect(within(row).getByText('5 min ago')).toBeTruthy();

    const list = api.calls.find((c) => c.path === '/api/v1/agents');
    expect(new URLSearchParams(list?.search).get('approval')).toBe('pending');
    expect(new URLSearchParams(list?.search).get('sort')).toBe('enrolledAt');
  });

  it('says when no box is waiting', async () => {
    renderInConsole(<Provisioning />, { fetch: fakeProvisioningApi({ agents: [fakeAgent('running-gw', { approval: 'approved' })] }).fetch });
    expect(await screen.findByText('No box is waiting for approval.')).toBeTruthy();
    expect(screen.getByText(/Boxes that enroll with a token that requires approval wait here/)).toBeTruthy();
    expect(screen.queryByTestId('pending-agent')).toBeNull();
  });

  it('approves a box: posts to its approve route and the box leaves the list', async () => {
    const api = fakeProvisioningApi({ agents: [press(), oven()] });
    renderInConsole(<Provisioning />, { fetch: api.fetch });
    const row = await rowOf('press-gw');
    fireEvent.click(within(row).getByRole('button', { name: 'Approve press-gw' }));
    await waitFor(() => expect(api.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/v1/agents/a-press-gw/approve']));
    await waitFor(() => expect(screen.queryByText('press-gw')).toBeNull());
    expect(rows()).toHaveLength(1);
    expect(screen.getByTestId('approval-notice').textContent).toContain('"press-gw" is approved');
    expect(api.agents.find((a) => a.name === 'press-gw')?.approval).toBe('approved');
  });

  it('rejects a box only after confirming, explaining that it stops and must be deleted to try again', async () => {
    const api = fakeProvisioningApi({ agents: [press(), oven()] });
    renderInConsole(<Provisioning />, { fetch: api.fetch });
    fireEvent.click(within(await rowOf('oven-gw')).getByTestId('reject-agent'));
    const dialog = await screen.findByRole('dialog', { name: 'Reject this box?' });
    expect(dialog.textContent).toContain('its agent stops');
    expect(dialog.textContent).toContain('delete its record');
    expect(api.calls.some((c) => c.method === 'POST')).toBe(false);

    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.calls.some((c) => c.method === 'POST')).toBe(false);
    expect(rows()).toHaveLength(2);

    fireEvent.click(within(await rowOf('oven-gw')).getByRole('button', { name: 'Reject oven-gw' }));
    fireEvent.click(within(await screen.findByRole('dialog', { name: 'Reject this box?' })).getByRole('button', { name: 'Reject' }));
    await waitFor(() => expect(api.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/v1/agents/a-oven-gw/reject']));
    await waitFor(() => expect(screen.queryByText('oven-gw')).toBeNull());
    expect(api.agents.find((a) => a.name === 'oven-gw')?.approval).toBe('rejected');
    expect(screen.getByTestId('approval-notice').textContent).toContain('"oven-gw" is rejected');
  });

  it('says in words when someone else decided first (409 AGENT_NOT_PENDING) and refreshes the list', async () => {
    const api = fakeProvisioningApi({ agents: [press(), oven()] });
    renderInConsole(<Provisioning />, { fetch: api.fetch });
    const row = await rowOf('press-gw');
    // Another operator rejects the box between this list's refresh and the click.
    const other = api.agents.find((a) => a.name === 'press-gw');
    if (other) other.approval = 'rejected';
    fireEvent.click(within(row).getByTestId('approve-agent'));
    const notice = await screen.findByRole('alert');
    expect(notice.textContent).toContain('"press-gw" is no longer waiting: someone else approved or rejected it first.');
    await waitFor(() => expect(screen.queryByText('press-gw')).toBeNull());
    expect(rows()).toHaveLength(1);
  });

  it('shows other errors of a decision with the API message', async () => {
    const api = fakeProvisioningApi({ agents: [press()] });
    const failing: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/approve')) return new Response(JSON.stringify({ statusCode: 503, code: 'UNAVAILABLE', message: 'the database is unreachable' }), { status: 503 });
      return api.fetch(input, init);
    };
    renderInConsole(<Provisioning />, { fetch: failing });
    fireEvent.click(within(await rowOf('press-gw')).getByTestId('approve-agent'));
    expect((await screen.findByRole('alert')).textContent).toContain('Cannot approve "press-gw": the database is unreachable');
    expect(rows()).toHaveLength(1);
  });

  it('shows a viewer the waiting boxes without Approve or Reject', async () => {
    renderInConsole(<Provisioning />, { fetch: fakeProvisioningApi({ agents: [press()] }).fetch, role: 'viewer' });
    const row = await rowOf('press-gw');
    expect(within(row).getByText('b8:27:eb:01:02:03')).toBeTruthy();
    expect(screen.queryByTestId('approve-agent')).toBeNull();
    expect(screen.queryByTestId('reject-agent')).toBeNull();
    expect(screen.queryByRole('button', { name: /Approve|Reject/ })).toBeNull();
    expect(screen.getByText('Approving and rejecting boxes takes an administrator.')).toBeTruthy();
  });

  it('names the fleet of each waiting box when there are several fleets', async () => {
    const line = { ...FLEET, id: 'f-2', name: 'line 7' };
    renderInConsole(<Provisioning />, { fetch: fakeProvisioningApi({ fleets: [FLEET, line], agents: [press(), fakeAgent('kiln-gw', { fleetId: 'f-2' })] }).fetch });
    expect(within(await rowOf('kiln-gw')).getByText('line 7')).toBeTruthy();
    expect(within(await rowOf('press-gw')).getByText('default')).toBeTruthy();
  });

  it('keeps rejected boxes folded away, and deletes the record of one so it may enroll again', async () => {
    const api = fakeProvisioningApi({ agents: [press(), fakeAgent('old-gw', { approval: 'rejected' })] });
    renderInConsole(<Provisioning />, { fetch: api.fetch });
    await rowOf('press-gw');
    expect(screen.queryByText('old-gw')).toBeNull();
    expect(api.calls.some((c) => c.search.includes('approval=rejected'))).toBe(false);

    fireEvent.click(screen.getByRole('button', { name: 'Show rejected boxes' }));
    const rejected = (await screen.findByText('old-gw')).closest('[data-testid="rejected-agent"]') as HTMLElement;
    fireEvent.click(within(rejected).getByRole('button', { name: 'Delete record of old-gw' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete this record?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete record' }));
    await waitFor(() => expect(api.calls.some((c) => c.method === 'DELETE' && c.path === '/api/v1/agents/a-old-gw')).toBe(true));
    expect(await screen.findByText('No box has been rejected.')).toBeTruthy();
  });

  it('shows a viewer the rejected boxes without a delete button', async () => {
    renderInConsole(<Provisioning />, { fetch: fakeProvisioningApi({ agents: [fakeAgent('old-gw', { approval: 'rejected' })] }).fetch, role: 'viewer' });
    fireEvent.click(await screen.findByRole('button', { name: 'Show rejected boxes' }));
    expect(await screen.findByText('old-gw')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Delete record/ })).toBeNull();
  });
});
