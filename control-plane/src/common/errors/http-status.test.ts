import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@edgefleet/protocol';
import { httpStatusOf } from './http-status.js';

describe('httpStatusOf', () => {
  it('maps every error code to an error status', () => {
    for (const code of Object.values(ErrorCode)) {
      const status = httpStatusOf(code);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
  });

  it('maps the codes the API documents', () => {
    expect(httpStatusOf('VALIDATION_FAILED')).toBe(400);
    expect(httpStatusOf('UNAUTHENTICATED')).toBe(401);
    expect(httpStatusOf('FORBIDDEN')).toBe(403);
    expect(httpStatusOf('LAST_ADMIN')).toBe(409);
    expect(httpStatusOf('CANNOT_DELETE_SELF')).toBe(409);
    expect(httpStatusOf('NOT_FOUND')).toBe(404);
    expect(httpStatusOf('AGENT_OFFLINE')).toBe(409);
    expect(httpStatusOf('AGENT_TIMEOUT')).toBe(504);
    expect(httpStatusOf('ENROLLMENT_REJECTED')).toBe(403);
    expect(httpStatusOf('ENROLLMENT_KEY_MISMATCH')).toBe(409);
    expect(httpStatusOf('AGENT_NOT_PENDING')).toBe(409);
    expect(httpStatusOf('AGENT_IDENTITY_IN_USE')).toBe(409);
    expect(httpStatusOf('INTERNAL')).toBe(500);
  });
});
