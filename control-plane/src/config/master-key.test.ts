import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveMasterKey } from './master-key.js';

describe('resolveMasterKey', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ef-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the key file once, mode 0600, and reads it back', () => {
    const a = resolveMasterKey(dir, {});
    const b = resolveMasterKey(dir, {});
    expect(a).toHaveLength(32);
    expect(b.equals(a)).toBe(true);
    expect(statSync(path.join(dir, 'master.key')).mode & 0o777).toBe(0o600);
  });

  it('prefers EDGEFLEET_MASTER_KEY and names it when it is wrong', () => {
    const key = randomBytes(32);
    expect(resolveMasterKey(dir, { EDGEFLEET_MASTER_KEY: key.toString('base64') }).equals(key)).toBe(true);
    expect(() => resolveMasterKey(dir, { EDGEFLEET_MASTER_KEY: 'c2hvcnQ=' })).toThrow(/EDGEFLEET_MASTER_KEY/);
  });
});
