import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.js';

describe('test database harness', () => {
  let db: TestDatabase | undefined;
  afterAll(async () => db?.drop());

  it('gives each test file a migrated database of its own', async () => {
    db = await createTestDatabase();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const r = await c.query(`SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL`);
    const t = await c.query(`SELECT to_regclass('"ConfigRevision"') AS t`);
    await c.end();
    expect(r.rows[0].n).toBeGreaterThanOrEqual(1);
    expect(t.rows[0].t).toBe('"ConfigRevision"');
  });
});
