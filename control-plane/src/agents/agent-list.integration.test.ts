import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { AGENT_STATUS_SORT_ORDER, type AgentSort, type SyncStatus } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import { apiClient } from '../testing/http.js';
import { login, startTestPlane } from '../testing/plane.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { syncStatus } from './sync-status.js';

type Api = Awaited<ReturnType<typeof login>>;
interface Page {
  items: { id: string; name: string; syncStatus: SyncStatus; labels: Record<string, string> }[];
  total: number;
  limit: number;
  offset: number;
}
interface ErrorBody {
  code: string;
  issues: { path: string; message: string }[];
}

/** One seeded agent, as inserted and as the list should see it. */
interface Seed {
  id: string;
  fleetId: string;
  name: string;
  hardwareId: string;
  labels: Record<string, string>;
  online: boolean;
  desiredRevision: number;
  appliedRevision: number | null;
  reportedStatus: string | null;
  reportedRevision: number | null;
  lastSeenAt: string | null;
  enrolledAt: string;
  status: SyncStatus;
}

const COUNT = 320;
const BASE = Date.parse('2026-11-01T00:00:00.000Z');
const pad = (n: number) => String(n).padStart(3, '0');

/**
 * Names share one shape (`box-NNN`, some `box-NNN-press`), so code-point order is also the order
 * of any collation the test server may use; 20 names repeat, to exercise the tiebreak by id.
 */
function seed(i: number, fleets: [string, string]): Seed {
  const n = i % 300;
  const name = i % 11 === 0 ? `box-${pad(n)}-press` : `box-${pad(n)}`;
  const hardwareId = i % 50 === 0 ? `hw_${i}` : i % 7 === 0 ? `PRESS-${pad(i)}` : `hw-${pad(i)}`;
  const labels: Record<string, string> = { line: `L${i % 4}`, site: i % 2 === 0 ? 'north' : 'south' };
  if (i % 10 === 0) labels.critical = 'yes';
  if (i % 25 === 0) labels.recipe = 'a=b';
  const desiredRevision = i % 6 === 0 ? 0 : 3;
  const appliedRevision = i % 4 === 0 ? 3 : i % 4 === 1 ? 2 : null;
  const reportedStatus = i % 3 === 0 ? 'failed' : 'applied';
  const reportedRevision = i % 8 < 4 ? 3 : 2;
  const row = {
    id: randomUUID(),
    fleetId: fleets[i % 3 === 0 ? 1 : 0],
    name,
    hardwareId,
    labels,
    online: i % 5 !== 0,
    desiredRevision,
    appliedRevision,
    reportedStatus,
    reportedRevision,
    lastSeenAt: i % 9 === 0 ? null : new Date(BASE + ((i * 37) % 120) * 60_000).toISOString(),
    enrolledAt: new Date(BASE - (i % 100) * 60_000).toISOString(),
  };
  return { ...row, status: syncStatus(row) };
}

const byId = (a: Seed, b: Seed) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The order each `sort` promises, computed here from the seeded rows. */
function expectedOrder(rows: Seed[], sort: AgentSort): Seed[] {
  const time = (s: string | null) => (s === null ? null : Date.parse(s));
  const nullsLast = (a: number | null, b: number | null, dir: 1 | -1) => (a === null ? (b === null ? 0 : 1) : b === null ? -1 : dir * (a - b));
  const sorted = [...rows];
  switch (sort) {
    case 'name':
      return sorted.sort((a, b) => cmp(a.name, b.name) || byId(a, b));
    case '-name':
      return sorted.sort((a, b) => cmp(b.name, a.name) || byId(b, a));
    case 'lastSeenAt':
      return sorted.sort((a, b) => nullsLast(time(a.lastSeenAt), time(b.lastSeenAt), 1) || byId(a, b));
    case '-lastSeenAt':
      return sorted.sort((a, b) => nullsLast(time(a.lastSeenAt), time(b.lastSeenAt), -1) || byId(b, a));
    case 'enrolledAt':
      return sorted.sort((a, b) => Date.parse(a.enrolledAt) - Date.parse(b.enrolledAt) || byId(a, b));
    case '-enrolledAt':
      return sorted.sort((a, b) => Date.parse(b.enrolledAt) - Date.parse(a.enrolledAt) || byId(b, a));
    case 'status':
      return sorted.sort((a, b) => AGENT_STATUS_SORT_ORDER.indexOf(a.status) - AGENT_STATUS_SORT_ORDER.indexOf(b.status) || cmp(a.name, b.name) || byId(a, b));
  }
}

const SORTS: AgentSort[] = ['name', '-name', 'lastSeenAt', '-lastSeenAt', 'enrolledAt', '-enrolledAt', 'status'];

describe('GET /agents: search, labels and sorting', () => {
  let db: TestDatabase;
  let plane: ControlPlane;
  let api: Api;
  let fleets: [string, string];
  let rows: Seed[];

  const ids = (list: { id: string }[]) => list.map((a) => a.id);
  const list = async (query: string) => {
    const res = await api<Page>('GET', `/api/v1/agents?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  /** Every page of a query, `limit` at a time, concatenated. */
  const allPages = async (query: string, limit: number) => {
    const out: Page['items'] = [];
    for (let offset = 0; ; offset += limit) {
      const page = await list(`${query}&limit=${limit}&offset=${offset}`);
      out.push(...page.items);
      if (page.items.length < limit) return { items: out, total: page.total };
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startTestPlane(db.url);
    api = await login(plane);
    const other = randomUUID();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const defaultFleet = (await client.query<{ id: string }>(`SELECT "id" FROM "Fleet" WHERE "name" = 'default'`)).rows[0]!.id;
      fleets = [defaultFleet, other];
      await client.query(`INSERT INTO "Fleet" ("id", "name", "template", "updatedAt") VALUES ($1, 'second', '{}', now())`, [other]);
      rows = Array.from({ length: COUNT }, (_, i) => seed(i, fleets));
      await client.query(
        `INSERT INTO "Agent" ("id", "fleetId", "name", "hardwareId", "labels", "online", "desiredRevision", "appliedRevision", "reportedStatus", "reportedRevision", "lastSeenAt", "enrolledAt", "updatedAt")
         SELECT "id", "fleetId", "name", "hardwareId", "labels", "online", "desiredRevision", "appliedRevision", "reportedStatus", "reportedRevision", "lastSeenAt", "enrolledAt", now()
         FROM json_populate_recordset(NULL::"Agent", $1::json)`,
        [JSON.stringify(rows)],
      );
    } finally {
      await client.end();
    }
    // Every status and some ties are present, or the orders below would prove less than they claim.
    for (const s of AGENT_STATUS_SORT_ORDER) expect(rows.some((r) => r.status === s), s).toBe(true);
  });
  afterAll(async () => {
    await plane?.close();
    await db?.drop();
  });

  it('sorts by name by default, ties by id, and pages through without overlap', async () => {
    const expected = ids(expectedOrder(rows, 'name'));
    const { items, total } = await allPages('', 45);
    expect(total).toBe(COUNT);
    expect(ids(items)).toEqual(expected);
    expect(new Set(ids(items)).size).toBe(COUNT);
  });

  it.each(SORTS)('sorts by %s across pages', async (sort) => {
    const expected = ids(expectedOrder(rows, sort));
    const whole = await list(`sort=${encodeURIComponent(sort)}&limit=1000`);
    expect(ids(whole.items)).toEqual(expected);
    // Pages of an odd size cross every boundary (between statuses too, for `status`).
    const paged = await allPages(`sort=${encodeURIComponent(sort)}`, 37);
    expect(ids(paged.items)).toEqual(expected);
    expect(paged.total).toBe(COUNT);
  });

  it('lists agents never seen last, whichever the direction', async () => {
    const never = rows.filter((r) => r.lastSeenAt === null).length;
    for (const sort of ['lastSeenAt', '-lastSeenAt']) {
      const page = await list(`sort=${sort}&limit=${never}&offset=${COUNT - never}`);
      expect(page.items.every((a) => rows.find((r) => r.id === a.id)?.lastSeenAt === null)).toBe(true);
    }
  });

  it('sorts by status with problems first and agrees with the status filter', async () => {
    const sorted = (await list('sort=status&limit=1000')).items.map((a) => a.syncStatus);
    const groups = sorted.filter((s, i) => i === 0 || sorted[i - 1] !== s);
    expect(groups).toEqual([...AGENT_STATUS_SORT_ORDER]);
    for (const status of AGENT_STATUS_SORT_ORDER) {
      const filtered = await list(`status=${status}&sort=status&limit=1000`);
      const expected = rows.filter((r) => r.status === status);
      expect(filtered.total, status).toBe(expected.length);
      expect(ids(filtered.items)).toEqual(ids(expectedOrder(expected, 'name')));
    }
  });

  it('searches names and hardware ids as substrings, ignoring case', async () => {
    const match = (q: string) => rows.filter((r) => r.name.toLowerCase().includes(q.toLowerCase()) || r.hardwareId.toLowerCase().includes(q.toLowerCase()));
    for (const q of ['PRESS', 'press', 'Box-01', 'hw-00', '  box-123  ']) {
      const page = await list(`q=${encodeURIComponent(q)}&limit=1000`);
      const expected = expectedOrder(match(q.trim()), 'name');
      expect(expected.length, q).toBeGreaterThan(0);
      expect(page.total, q).toBe(expected.length);
      expect(ids(page.items), q).toEqual(ids(expected));
    }
    // Both sides matched: names (…-press) and hardware ids (PRESS-…).
    const press = (await list('q=press&limit=1000')).items;
    expect(press.some((a) => a.name.endsWith('-press'))).toBe(true);
    expect(press.some((a) => !a.name.endsWith('-press'))).toBe(true);
  });

  it('takes % and _ in a search literally', async () => {
    const underscore = await list('q=_&limit=1000');
    expect(underscore.total).toBe(rows.filter((r) => r.hardwareId.includes('_')).length);
    expect(underscore.total).toBeGreaterThan(0);
    expect((await list('q=%25')).total).toBe(0);
    expect((await list('q=hw%5C')).total).toBe(0);
  });

  it('ignores a blank search', async () => {
    expect((await list('q=')).total).toBe(COUNT);
    expect((await list('q=%20%20')).total).toBe(COUNT);
  });

  it('filters by labels: key=value, bare key, several at once (all must match), = inside a value', async () => {
    const check = async (query: string, want: (r: Seed) => boolean) => {
      const page = await list(`${query}&limit=1000`);
      const expected = expectedOrder(rows.filter(want), 'name');
      expect(page.total, query).toBe(expected.length);
      expect(ids(page.items), query).toEqual(ids(expected));
      return expected.length;
    };
    expect(await check('label=line%3DL1', (r) => r.labels.line === 'L1')).toBeGreaterThan(0);
    expect(await check('label=critical', (r) => 'critical' in r.labels)).toBeGreaterThan(0);
    expect(await check('label=line%3DL2&label=site%3Dnorth&label=critical', (r) => r.labels.line === 'L2' && r.labels.site === 'north' && 'critical' in r.labels)).toBeGreaterThan(0);
    expect(await check('label=recipe%3Da%3Db', (r) => r.labels.recipe === 'a=b')).toBeGreaterThan(0);
    expect(await check('label=line%3DL1&label=line%3DL2', () => false)).toBe(0);
    expect(await check('label=nowhere', () => false)).toBe(0);
    expect(await check('label=line%3D', () => false)).toBe(0);
  });

  it('combines fleet, status, search, labels and sort, with total counting the filtered set', async () => {
    const want = (r: Seed) => r.fleetId === fleets[0] && r.status === 'PENDING' && r.name.includes('box-0') && r.labels.site === 'south';
    const expected = expectedOrder(rows.filter(want), '-lastSeenAt');
    expect(expected.length).toBeGreaterThan(3);
    const query = `fleetId=${fleets[0]}&status=PENDING&q=box-0&label=site%3Dsouth&sort=-lastSeenAt`;
    const first = await list(`${query}&limit=2`);
    expect(first.total).toBe(expected.length);
    expect(ids(first.items)).toEqual(ids(expected.slice(0, 2)));
    const rest = await list(`${query}&limit=100&offset=2`);
    expect(ids(rest.items)).toEqual(ids(expected.slice(2)));
  });

  it('answers bad parameters with 400 naming the field', async () => {
    const bad = async (query: string, path: string) => {
      const res = await api<ErrorBody>('GET', `/api/v1/agents?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.issues.map((i) => i.path), query).toContain(path);
    };
    await bad('sort=age', 'sort');
    await bad('sort=-status', 'sort');
    await bad('label=%3Dvalue', 'label[0]');
    await bad(`label=site&label=${'k'.repeat(65)}`, 'label[1]');
    await bad(`q=${'x'.repeat(201)}`, 'q');
    await bad('status=BOGUS', 'status');
    await bad('limit=0', 'limit');
  });

  it('needs a session', async () => {
    const res = await apiClient(plane.url)('GET', '/api/v1/agents?q=box');
    expect(res.status).toBe(401);
  });

  it('documents the parameters and the routes added for the console in OpenAPI', async () => {
    const doc = (await apiClient(plane.url)<{ paths: Record<string, Record<string, { parameters?: { name: string }[]; security?: unknown[] }>> }>('GET', '/api/docs-json')).body;
    expect(doc.paths['/api/v1/agents']?.get?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['q', 'label', 'sort', 'status', 'fleetId']));
    const added = [
      doc.paths['/api/v1/agents/{id}/health']?.get,
      doc.paths['/api/v1/agents/{id}/config/diff']?.post,
      doc.paths['/api/v1/fleets/{id}/enrollment-tokens/{tokenId}']?.delete,
    ];
    for (const op of added) expect(op?.security).toEqual([{ bearer: [] }]);
  });
});
