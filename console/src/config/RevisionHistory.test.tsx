// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { AgentView, ConfigChange, ConfigRevisionView } from '@edgefleet/protocol';
import { ApiClient } from '../api/client';
import { agentView } from '../test-support/agent-view';
import { RevisionHistory } from './RevisionHistory';

const AGENT = '0b6f2a4e-7c1d-4e59-9a43-2f6c1d8e5a10';
const MARKER = '********';

interface StoredRevision {
  revision: number;
  author: string;
  comment: string | null;
  rollbackOf: number | null;
  /** Plaintext, as the plane keeps it; answers show secrets (`password`) as the marker. */
  document: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function redact(value: unknown, key = ''): unknown {
  if (key === 'password' && value !== undefined) return MARKER;
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  return value;
}

/** The plane's diff in small: objects key by key, anything else whole; a secret flagged, never shown. */
function diff(a: unknown, b: unknown, path: string[] = []): ConfigChange[] {
  const at = path.join('.');
  const key = path[path.length - 1] ?? '';
  const secret = key === 'password';
  if (!secret && isObject(a) && isObject(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k): ConfigChange[] => {
      if (!(k in a)) return [{ path: [...path, k].join('.'), change: 'added', after: redact(b[k], k) }];
      if (!(k in b)) return [{ path: [...path, k].join('.'), change: 'removed', before: redact(a[k], k) }];
      return diff(a[k], b[k], [...path, k]);
    });
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  return [{ path: at, change: 'changed', before: redact(a, key), after: redact(b, key), ...(secret ? { secret: true as const } : {}) }];
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/**
 * A control plane for one agent's config: revisions listed newest first and paged, diffs between
 * any two, rollback as a new revision (201) that becomes the desired one, 404 for what is not there.
 */
function fakePlane(stored: StoredRevision[], opts: { applied?: number | null } = {}) {
  const revisions = [...stored];
  const calls: Array<{ method: string; path: string; body?: unknown }> = [];
  const view = (r: StoredRevision): ConfigRevisionView => ({
    agentId: AGENT,
    revision: r.revision,
    sha256: `sha-${r.revision}`,
    document: redact(r.document),
    author: r.author,
    comment: r.comment,
    rollbackOf: r.rollbackOf,
    createdAt: new Date(Date.UTC(2026, 11, 1, 8, r.revision)).toISOString(),
  });
  const find = (n: number) => revisions.find((r) => r.revision === n);
  const notFound = (n: number) => json({ statusCode: 404, code: 'NOT_FOUND', message: `Agent ${AGENT} has no revision ${n}` }, 404);
  const agent = (): AgentView =>
    agentView({
      id: AGENT,
      desiredRevision: revisions.length ? Math.max(...revisions.map((r) => r.revision)) : null,
      appliedRevision: opts.applied ?? null,
      syncStatus: 'PENDING',
    });

  const fetchImpl: typeof fetch = async (input, init) => {
    const url = new URL(String(input), 'http://console.test');
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    calls.push({ method, path: url.pathname + url.search, ...(body !== undefined ? { body } : {}) });
    const base = `/api/v1/agents/${AGENT}`;
    if (method === 'GET' && url.pathname === base) return json(agent());
    if (method === 'GET' && url.pathname === `${base}/config/revisions`) {
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const newestFirst = [...revisions].sort((a, b) => b.revision - a.revision);
      return json({ items: newestFirst.slice(offset, offset + limit).map(view), total: revisions.length, limit, offset });
    }
    const diffMatch = new RegExp(`^${base}/config/revisions/(\\d+)/diff$`).exec(url.pathname);
    if (method === 'GET' && diffMatch) {
      const to = Number(diffMatch[1]);
      const from = Number(url.searchParams.get('from') ?? to - 1);
      const older = find(from);
      const newer = find(to);
      if (!older) return notFound(from);
      if (!newer) return notFound(to);
      return json({ agentId: AGENT, from, to, changes: diff(older.document, newer.document) });
    }
    if (method === 'POST' && url.pathname === `${base}/config/rollback`) {
      const { revision, comment } = body as { revision: number; comment?: string };
      const old = find(revision);
      if (!old) return notFound(revision);
      const created: StoredRevision = {
        revision: Math.max(...revisions.map((r) => r.revision)) + 1,
        author: 'test-user',
        comment: comment ?? `rollback to revision ${revision}`,
        rollbackOf: revision,
        document: old.document,
      };
      revisions.push(created);
      return json(view(created), 201);
    }
    return json({ statusCode: 404, code: 'NOT_FOUND', message: `no route ${method} ${url.pathname}` }, 404);
  };
  return { fetchImpl, calls };
}

const doc = (interval: number, password: string, extra: Record<string, unknown> = {}) => ({
  devices: { press: { driver: 'modbus-tcp', host: '10.0.0.5', intervalMs: interval } },
  sinks: { cloud: { url: 'mqtts://broker:8883', password } },
  ...extra,
});

const history: StoredRevision[] = [
  { revision: 1, author: 'alice', comment: 'first config', rollbackOf: null, document: doc(1000, 'secret-1') },
  { revision: 2, author: 'bob', comment: 'faster polling', rollbackOf: null, document: doc(250, 'secret-1', { note: 'line 7' }) },
  { revision: 3, author: 'carol', comment: null, rollbackOf: null, document: doc(250, 'secret-2') },
];

function renderHistory(fetchImpl: typeof fetch, canEdit = true, queries = new QueryClient({ defaultOptions: { queries: { retry: false } } })) {
  render(
    <MantineProvider>
      <QueryClientProvider client={queries}>
        <RevisionHistory client={new ApiClient('token', fetchImpl)} agentId={AGENT} canEdit={canEdit} />
      </QueryClientProvider>
    </MantineProvider>,
  );
  return queries;
}

afterEach(cleanup);

describe('RevisionHistory', () => {
  it('lists the revisions newest first with author, comment and the desired and applied badges', async () => {
    const plane = fakePlane(history, { applied: 2 });
    renderHistory(plane.fetchImpl);
    const row3 = await screen.findByTestId('revision-row-3');
    const rows = screen.getAllByTestId(/^revision-row-/);
    expect(rows.map((r) => r.getAttribute('data-revision'))).toEqual(['3', '2', '1']);
    expect(within(row3).getByText('carol')).toBeTruthy();
    await waitFor(() => expect(within(row3).getByTestId('revision-badge-desired')).toBeTruthy());
    const row2 = screen.getByTestId('revision-row-2');
    expect(within(row2).getByText('faster polling')).toBeTruthy();
    expect(within(row2).getByTestId('revision-badge-applied')).toBeTruthy();
    expect(within(row2).queryByTestId('revision-badge-desired')).toBeNull();
    expect(screen.getAllByTestId('revision-badge-desired')).toHaveLength(1);
    // The desired revision cannot be rolled back to (it is current); the older ones can.
    expect(within(row3).queryByText('Roll back to this revision')).toBeNull();
    expect(within(row2).getByText('Roll back to this revision')).toBeTruthy();
    expect(plane.calls.map((c) => c.path)).toContain(`/api/v1/agents/${AGENT}/config/revisions?limit=20&offset=0`);
    expect(screen.getByText('Revisions 1–3 of 3')).toBeTruthy();
  });

  it('pages through a long history with the API', async () => {
    const many: StoredRevision[] = Array.from({ length: 25 }, (_, i) => ({ revision: i + 1, author: 'alice', comment: `change ${i + 1}`, rollbackOf: null, document: doc(1000 + i, 'x') }));
    const plane = fakePlane(many);
    renderHistory(plane.fetchImpl);
    expect(await screen.findByTestId('revision-row-25')).toBeTruthy();
    expect(screen.queryByTestId('revision-row-5')).toBeNull();
    fireEvent.click(within(screen.getByTestId('revisions-pagination')).getByText('2'));
    expect(await screen.findByTestId('revision-row-5')).toBeTruthy();
    expect(screen.getAllByTestId(/^revision-row-/).map((r) => r.getAttribute('data-revision'))).toEqual(['5', '4', '3', '2', '1']);
    expect(plane.calls.map((c) => c.path)).toContain(`/api/v1/agents/${AGENT}/config/revisions?limit=20&offset=20`);
    expect(screen.getByText('Revisions 21–25 of 25')).toBeTruthy();
  });

  it('shows the changes between two picked revisions, with a changed secret flagged but not shown', async () => {
    const plane = fakePlane(history);
    renderHistory(plane.fetchImpl);
    fireEvent.click(await screen.findByLabelText('Compare revision 3'));
    expect(screen.getByTestId('revision-diff-hint').textContent).toContain('Revision 3 picked');
    fireEvent.click(screen.getByLabelText('Compare revision 1'));
    const panel = await screen.findByTestId('revision-diff');
    expect(panel.textContent).toContain('Changes from revision 1 to revision 3');
    await waitFor(() => expect(within(panel).getAllByTestId('diff-row')).toHaveLength(2));
    expect(plane.calls.map((c) => c.path)).toContain(`/api/v1/agents/${AGENT}/config/revisions/3/diff?from=1`);

    const interval = within(panel).getAllByTestId('diff-row').find((r) => r.getAttribute('data-path') === 'devices.press.intervalMs');
    expect(interval?.getAttribute('data-change')).toBe('changed');
    expect(interval?.textContent).toContain('1000');
    expect(interval?.textContent).toContain('250');
    const secret = within(panel).getAllByTestId('diff-row').find((r) => r.getAttribute('data-path') === 'sinks.cloud.password');
    expect(secret?.textContent).toContain('secret');
    expect(secret?.textContent).toContain('hidden');
    expect(panel.textContent).not.toContain('secret-1');
    expect(panel.textContent).not.toContain(MARKER);

    // "Changes" on a revision compares it with the one before: an added field, shown with its value.
    fireEvent.click(screen.getByTestId('revision-changes-2'));
    await waitFor(() => expect(screen.getByTestId('revision-diff').getAttribute('data-to')).toBe('2'));
    const added = await screen.findByText('line 7');
    expect(added.closest('[data-testid="diff-row"]')?.getAttribute('data-change')).toBe('added');
    expect(plane.calls.map((c) => c.path)).toContain(`/api/v1/agents/${AGENT}/config/revisions/2/diff?from=1`);
  });

  it('rolls back after confirmation, posting the revision and comment, and refreshes the config, agent and history', async () => {
    const plane = fakePlane(history, { applied: 3 });
    const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    queries.setQueryData(['config', AGENT], { revision: 3 });
    renderHistory(plane.fetchImpl, true, queries);

    // Cancelling posts nothing.
    fireEvent.click(await screen.findByTestId('revision-rollback-1'));
    fireEvent.click(await screen.findByTestId('rollback-cancel'));
    await waitFor(() => expect(screen.queryByTestId('rollback-dialog')).toBeNull());
    expect(plane.calls.filter((c) => c.method === 'POST')).toEqual([]);

    fireEvent.click(screen.getByTestId('revision-rollback-2'));
    const dialog = await screen.findByTestId('rollback-dialog');
    expect(dialog.textContent).toContain('config of revision 2 becomes a new revision');
    fireEvent.change(within(dialog).getByLabelText(/Comment/), { target: { value: '  revision 3 broke the press  ' } });
    fireEvent.click(within(dialog).getByTestId('rollback-confirm'));

    expect((await screen.findByTestId('rollback-done')).textContent).toContain('Revision 4 created with the config of revision 2');
    expect(plane.calls.filter((c) => c.method === 'POST')).toEqual([{ method: 'POST', path: `/api/v1/agents/${AGENT}/config/rollback`, body: { revision: 2, comment: 'revision 3 broke the press' } }]);
    expect(queries.getQueryState(['config', AGENT])?.isInvalidated).toBe(true);
    const row4 = await screen.findByTestId('revision-row-4');
    expect(within(row4).getByTestId('revision-rollback-of').textContent).toBe('rollback of #2');
    expect(within(row4).getByText('revision 3 broke the press')).toBeTruthy();
    await waitFor(() => expect(within(row4).queryByTestId('revision-badge-desired')).toBeTruthy());
    expect(screen.queryByTestId('rollback-dialog')).toBeNull();

    // Without a comment, none is sent and the plane writes its own.
    fireEvent.click(screen.getByTestId('revision-rollback-1'));
    fireEvent.click(within(await screen.findByTestId('rollback-dialog')).getByTestId('rollback-confirm'));
    const row5 = await screen.findByTestId('revision-row-5');
    expect(plane.calls.filter((c) => c.method === 'POST')[1]?.body).toEqual({ revision: 1 });
    expect(within(row5).getByText('rollback to revision 1')).toBeTruthy();
  });

  it('shows a failed rollback in words inside the dialog', async () => {
    const plane = fakePlane(history);
    const failing: typeof fetch = async (input, init) =>
      (init?.method ?? 'GET') === 'POST'
        ? json({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'the config of revision 1 is no longer valid', issues: [{ path: 'devices[0].driver', message: "must be one of 'simulator', 'modbus-tcp'" }] }, 400)
        : plane.fetchImpl(input, init);
    renderHistory(failing);
    fireEvent.click(await screen.findByTestId('revision-rollback-1'));
    fireEvent.click(within(await screen.findByTestId('rollback-dialog')).getByTestId('rollback-confirm'));
    const alert = await within(screen.getByTestId('rollback-dialog')).findByRole('alert');
    expect(alert.textContent).toContain('the config of revision 1 is no longer valid');
    expect(alert.textContent).toContain("devices[0].driver: must be one of 'simulator', 'modbus-tcp'");
    expect(screen.queryByTestId('rollback-done')).toBeNull();
  });

  it('offers no rollback to a user who cannot edit, but still lets them compare', async () => {
    const plane = fakePlane(history, { applied: 3 });
    renderHistory(plane.fetchImpl, false);
    expect(await screen.findByTestId('revision-row-1')).toBeTruthy();
    expect(screen.queryByText('Roll back to this revision')).toBeNull();
    expect(screen.queryByTestId(/^revision-rollback-\d/)).toBeNull();
    expect(screen.getByLabelText('Compare revision 1')).toBeTruthy();
    expect(screen.getByTestId('revision-changes-3')).toBeTruthy();
  });

  it('says so when the agent has no revisions, and shows an API failure in words', async () => {
    renderHistory(fakePlane([]).fetchImpl);
    expect((await screen.findByTestId('revisions-empty')).textContent).toContain('no config yet');
    cleanup();
    renderHistory(async () => json({ statusCode: 403, code: 'FORBIDDEN', message: 'this agent belongs to another fleet' }, 403));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Cannot load the revisions');
    expect(alert.textContent).toContain('this agent belongs to another fleet');
  });

  it('explains a comparison the API cannot make', async () => {
    const plane = fakePlane(history);
    const broken: typeof fetch = async (input, init) =>
      String(input).includes('/diff') ? json({ statusCode: 404, code: 'NOT_FOUND', message: `Agent ${AGENT} has no revision 2` }, 404) : plane.fetchImpl(input, init);
    renderHistory(broken);
    fireEvent.click(await screen.findByTestId('revision-changes-3'));
    const alert = await within(await screen.findByTestId('revision-diff')).findByRole('alert');
    expect(alert.textContent).toContain(`Agent ${AGENT} has no revision 2`);
  });
});
