import { describe, expect, it } from 'vitest';
import { tokenProblem, type TokenState } from './token-check.js';

const now = new Date('2026-01-01T00:00:00Z');
const ok: TokenState = { expiresAt: new Date('2026-01-02T00:00:00Z'), revokedAt: null, maxUses: 2, uses: 1 };

describe('tokenProblem', () => {
  it('accepts a live token with uses left', () => {
    expect(tokenProblem(ok, now, true)).toBeUndefined();
    expect(tokenProblem({ ...ok, maxUses: null, uses: 10_000 }, now, true)).toBeUndefined();
  });
  it('names unknown and revoked tokens invalid', () => {
    expect(tokenProblem(null, now, true)).toBe('TOKEN_INVALID');
    expect(tokenProblem({ ...ok, revokedAt: now }, now, true)).toBe('TOKEN_INVALID');
  });
  it('names expired tokens, at the instant of expiry too', () => {
    expect(tokenProblem({ ...ok, expiresAt: now }, now, true)).toBe('TOKEN_EXPIRED');
  });
  it('names exhausted tokens, but lets an enrolled box re-enroll', () => {
    expect(tokenProblem({ ...ok, uses: 2 }, now, true)).toBe('TOKEN_EXHAUSTED');
    expect(tokenProblem({ ...ok, uses: 2 }, now, false)).toBeUndefined();
  });
});
