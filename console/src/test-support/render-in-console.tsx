import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import { ApiClient } from '../api/client';
import { ConsoleContext } from '../app/console-context';
import { permissionsOf } from '../auth/permissions';

/** A JSON answer as the control plane sends it. */
export const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/**
 * Renders a screen the way the signed-in console does: theme, query cache, the user's client and
 * rights, and a router at `url` (matched against `path` for screens that read URL parameters).
 */
export function renderInConsole(ui: ReactElement, opts: { fetch: typeof fetch; role?: string; url?: string; path?: string; onUnauthorized?: () => void }) {
  const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const client = new ApiClient('token', opts.fetch, undefined, opts.onUnauthorized);
  const role = opts.role ?? 'admin';
  return render(
    <MantineProvider>
      <QueryClientProvider client={queries}>
        <ConsoleContext.Provider value={{ client, user: { username: 'test-user', role }, ...permissionsOf(role) }}>
          <MemoryRouter initialEntries={[opts.url ?? '/']}>
            <Routes>
              <Route path={opts.path ?? '*'} element={ui} />
            </Routes>
          </MemoryRouter>
        </ConsoleContext.Provider>
      </QueryClientProvider>
    </MantineProvider>,
  );
}
