import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EnrollmentTokenCreated } from '@edgefleet/protocol';
import { bootstrapFile, enrollOneLiner, parseLabels, shellQuote, tokenState, writeBootstrapOneLiner } from './bootstrap';

const created: EnrollmentTokenCreated = {
  id: 't1',
  fleetId: 'f1',
  token: "-ab'cd",
  expiresAt: '2026-12-04T10:00:00.000Z',
  maxUses: 5,
  labels: {},
  requiresApproval: false,
  bootstrap: { controlPlaneUrl: 'https://plane.example:8443', token: "-ab'cd", caFingerprint: 'AB:CD' },
};

describe('bootstrap helpers', () => {
  it('writes the bootstrap file the agent reads', () => {
    expect(JSON.parse(bootstrapFile(created))).toEqual(created.bootstrap);
  });

  it('quotes what a shell would split or expand', () => {
    expect(shellQuote('https://a.example:1/x')).toBe('https://a.example:1/x');
    expect(shellQuote("a b'c")).toBe(`'a b'\\''c'`);
    expect(enrollOneLiner(created)).toContain(`--token='-ab'\\''cd'`);
  });

  it('gives a one-liner that really writes the bootstrap file through a shell', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bootstrap-'));
    try {
      const file = join(dir, 'etc edgefleet', 'bootstrap.json');
      execFileSync('/bin/sh', ['-c', writeBootstrapOneLiner(created, file)]);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(created.bootstrap);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tells a token's state", () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    const base = { revokedAt: null, expiresAt: '2026-12-04T10:00:00Z', uses: 0, maxUses: 2 };
    expect(tokenState(base, now)).toBe('active');
    expect(tokenState({ ...base, revokedAt: '2026-12-03T09:00:00Z' }, now)).toBe('revoked');
    expect(tokenState({ ...base, expiresAt: '2026-12-03T09:00:00Z' }, now)).toBe('expired');
    expect(tokenState({ ...base, uses: 2 }, now)).toBe('used up');
  });

  it('parses labels and names a malformed one', () => {
    expect(parseLabels('line=7, site = berlin')).toEqual({ ok: true, labels: { line: '7', site: 'berlin' } });
    expect(parseLabels('line')).toEqual({ ok: false, message: '"line" is not key=value' });
  });
});
