// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { EnrollmentTokenView } from '@edgefleet/protocol';
import { json, renderInConsole } from '../test-support/render-in-console';
import { Provisioning } from './Provisioning';

const FLEET = { id: 'f-1', name: 'default', description: null, template: {}, agentCount: 1, createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z' };

/** Answers the fleet and token routes like the control plane, keeping the tokens it created. */
function fakeApi(calls: Array<{ method: string; path: string; body?: unknown }>): typeof fetch {
  const tokens: EnrollmentTokenView[] = [
    { id: 't-old', fleetId: 'f-1', description: 'old batch', labels: {}, expiresAt: '2020-01-01T00:00:00.000Z', maxUses: null, uses: 3, revokedAt: null, createdBy: 'admin', createdAt: '2019-12-01T00:00:00.000Z' },
  ];
  return async (input, init) => {
    const url = new URL(String(input), 'http://console.test');
    const method = init?.method ?? 'GET';
    const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : undefined;
    calls.push({ method, path: url.pathname, ...(body ? { body } : {}) });
    if (url.pathname === '/api/v1/fleets') return json([FLEET]);
    if (url.pathname === '/api/v1/fleets/f-1/enrollment-tokens' && method === 'GET') return json(tokens);
    if (url.pathname === '/api/v1/fleets/f-1/enrollment-tokens' && method === 'POST') {
      if (body?.maxUses === 0) return json({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'invalid request', issues: [{ path: 'maxUses', message: 'must be at least 1' }] }, 400);
      const expiresAt = new Date(Date.now() + Number(body?.expiresInSec) * 1000).toISOString();
      const labels = (body?.labels ?? {}) as Record<string, string>;
      tokens.unshift({ id: 't-new', fleetId: 'f-1', description: (body?.description as string | undefined) ?? null, labels, expiresAt, maxUses: (body?.maxUses as number | undefined) ?? null, uses: 0, revokedAt: null, createdBy: 'admin', createdAt: new Date().toISOString() });
      return json({ id: 't-new', fleetId: 'f-1', token: 'secret-token-1', expiresAt, maxUses: body?.maxUses ?? null, labels, bootstrap: { controlPlaneUrl: 'http://plane.test', token: 'secret-token-1' } }, 201);
    }
    const revoke = /^\/api\/v1\/fleets\/f-1\/enrollment-tokens\/([\w-]+)$/.exec(url.pathname);
    if (revoke && method === 'DELETE') {
      const t = tokens.find((x) => x.id === revoke[1]);
      if (t) t.revokedAt = new Date().toISOString();
      return new Response(null, { status: 204 });
    }
    return json({ statusCode: 404, code: 'NOT_FOUND', message: 'no such route' }, 404);
  };
}

afterEach(cleanup);

describe('Provisioning', () => {
  it('creates a token with labels, shows it once with its bootstrap file and one-liner, and revokes it', async () => {
    const calls: Array<{ method: string; path: string; body?: unknown }> = [];
    renderInConsole(<Provisioning />, { fetch: fakeApi(calls) });
    const oldRow = (await screen.findByText('old batch')).closest('tr') as HTMLElement;
    expect(within(oldRow).getByText('expired')).toBeTruthy();
    expect(within(oldRow).queryByText('Revoke')).toBeNull();

    fireEvent.change(screen.getByLabelText('Description'), { target: { value: 'line 7' } });
    fireEvent.change(screen.getByLabelText('Labels'), { target: { value: 'line=7, site=berlin' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect((await screen.findByTestId('created-token')).textContent).toBe('secret-token-1');
    expect(JSON.parse(screen.getByTestId('bootstrap-file').textContent ?? '')).toEqual({ controlPlaneUrl: 'http://plane.test', token: 'secret-token-1' });
    expect(screen.getByTestId('enroll-command').textContent).toContain('--token=secret-token-1');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ description: 'line 7', expiresInSec: 86_400, labels: { line: '7', site: 'berlin' } });

    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    const newRow = (await screen.findByText('line 7')).closest('tr') as HTMLElement;
    expect(within(newRow).getByText('active')).toBeTruthy();
    fireEvent.click(within(newRow).getByText('Revoke'));
    const dialog = await screen.findByRole('dialog', { name: 'Revoke this token?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE' && c.path === '/api/v1/fleets/f-1/enrollment-tokens/t-new')).toBe(true));
    await waitFor(() => expect(within(screen.getByText('line 7').closest('tr') as HTMLElement).getByText('revoked')).toBeTruthy());
  });

  it('refuses malformed labels before asking the API', async () => {
    const calls: Array<{ method: string; path: string; body?: unknown }> = [];
    renderInConsole(<Provisioning />, { fetch: fakeApi(calls) });
    await screen.findByText('old batch');
    fireEvent.change(screen.getByLabelText('Labels'), { target: { value: 'line' } });
    expect(screen.getByText('"line" is not key=value')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Create token' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows a viewer the tokens without create or revoke', async () => {
    renderInConsole(<Provisioning />, { fetch: fakeApi([]), role: 'viewer' });
    await screen.findByText('old batch');
    expect(screen.queryByRole('button', { name: 'Create token' })).toBeNull();
    expect(screen.queryByText('Revoke')).toBeNull();
    expect(screen.getByText('Creating and revoking tokens takes an administrator.')).toBeTruthy();
  });
});
