/**
 * The repository's per-file test database (test/src/support/database.ts). It lives outside this
 * project's rootDir, so it is loaded at run time by path rather than imported statically.
 */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

const SUPPORT_MODULE = '../../../test/src/support/database.js';

export async function createTestDatabase(): Promise<TestDatabase> {
  const support = (await import(SUPPORT_MODULE)) as { createTestDatabase(): Promise<TestDatabase> };
  return support.createTestDatabase();
}
