// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInConsole } from '../test-support/render-in-console';
import { fakeProvisioningApi } from './provisioning-api.fake';
import { Provisioning } from './Provisioning';

afterEach(cleanup);

describe('Provisioning', () => {
  it('creates a token with labels, shows it once with its bootstrap file and one-liner, and revokes it', async () => {
    const api = fakeProvisioningApi();
    renderInConsole(<Provisioning />, { fetch: api.fetch });
    const oldRow = (await screen.findByText('old batch')).closest('tr') as HTMLElement;
    expect(within(oldRow).getByText('expired')).toBeTruthy();
    expect(within(oldRow).queryByText('Revoke')).toBeNull();
    expect(within(oldRow).getByTestId('token-approval').textContent).toBe('auto');

    fireEvent.change(screen.getByLabelText('Description'), { target: { value: 'line 7' } });
    fireEvent.change(screen.getByLabelText('Labels'), { target: { value: 'line=7, site=berlin' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect((await screen.findByTestId('created-token')).textContent).toBe('secret-token-1');
    expect(JSON.parse(screen.getByTestId('bootstrap-file').textContent ?? '')).toEqual({ controlPlaneUrl: 'http://plane.test', token: 'secret-token-1' });
    expect(screen.getByTestId('enroll-command').textContent).toContain('--token=secret-token-1');
    expect(api.calls.find((c) => c.method === 'POST')?.body).toEqual({ description: 'line 7', expiresInSec: 86_400, labels: { line: '7', site: 'berlin' }, requiresApproval: false });
    expect(screen.queryByTestId('created-requires-approval')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    const newRow = (await screen.findByText('line 7')).closest('tr') as HTMLElement;
    expect(within(newRow).getByText('active')).toBeTruthy();
    expect(within(newRow).getByTestId('token-approval').textContent).toBe('auto');
    fireEvent.click(within(newRow).getByText('Revoke'));
    const dialog = await screen.findByRole('dialog', { name: 'Revoke this token?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke' }));
    const newId = api.tokens.find((t) => t.description === 'line 7')?.id;
    await waitFor(() => expect(api.calls.some((c) => c.method === 'DELETE' && c.path === `/api/v1/fleets/f-1/enrollment-tokens/${newId}`)).toBe(true));
    await waitFor(() => expect(within(screen.getByText('line 7').closest('tr') as HTMLElement).getByText('revoked')).toBeTruthy());
  });

  it('creates a token that requires approval and says so in the token list and the created-token dialog', async () => {
    const api = fakeProvisioningApi();
    renderInConsole(<Provisioning />, { fetch: api.fetch });
    await screen.findByText('old batch');
    const checkbox = screen.getByLabelText('Require approval') as HTMLInputElement;
    expect(checkbox.checked).toBe(false);
    expect(screen.getByText('Boxes wait until an administrator approves them')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Description'), { target: { value: 'night shift' } });
    fireEvent.click(checkbox);
    expect(checkbox.checked).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect((await screen.findByTestId('created-requires-approval')).textContent).toContain('wait under "Waiting for approval"');
    expect(api.calls.find((c) => c.method === 'POST')?.body).toEqual({ description: 'night shift', expiresInSec: 86_400, labels: {}, requiresApproval: true });
    expect((screen.getByLabelText('Require approval') as HTMLInputElement).checked).toBe(false);

    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    const row = (await screen.findByText('night shift')).closest('tr') as HTMLElement;
    expect(within(row).getByTestId('token-approval').textContent).toBe('approval');
  });

  it('refuses malformed labels before asking the API', async () => {
    renderInConsole(<Provisioning />, { fetch: fakeProvisioningApi().fetch });
    await screen.findByText('old batch');
    fireEvent.change(screen.getByLabelText('Labels'), { target: { value: 'line' } });
    expect(screen.getByText('"line" is not key=value')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Create token' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows a viewer the tokens without create or revoke', async () => {
    renderInConsole(<Provisioning />, { fetch: fakeProvisioningApi().fetch, role: 'viewer' });
    await screen.findByText('old batch');
    expect(screen.queryByRole('button', { name: 'Create token' })).toBeNull();
    expect(screen.queryByText('Revoke')).toBeNull();
    expect(screen.queryByLabelText('Require approval')).toBeNull();
    expect(screen.getByText('Creating and revoking tokens takes an administrator.')).toBeTruthy();
  });
});
