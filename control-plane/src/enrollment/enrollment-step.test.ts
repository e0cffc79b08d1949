import { describe, expect, it } from 'vitest';
import { AppError } from '../common/errors/app-error.js';
import { enrollmentStep, reenrollment, type KnownAgent } from './enrollment-step.js';

const now = new Date('2026-01-01T00:00:00Z');
const live = { expiresAt: new Date('2026-01-02T00:00:00Z'), revokedAt: null, maxUses: 1, uses: 0, requiresApproval: false };
const expired = { ...live, expiresAt: now };
const usedUp = { ...live, uses: 1 };
const KEY = 'a'.repeat(64);
const OTHER_KEY = 'b'.repeat(64);

const agent = (over: Partial<KnownAgent> = {}): KnownAgent => ({ id: 'agent-1', hardwareId: 'hw-1', approval: 'approved', approvalKeySha256: null, certKeySha256: null, online: false, ...over });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  throw new Error('no refusal');
};

describe('enrollmentStep', () => {
  it('creates a new agent approved, or pending under a token that requires approval', () => {
    expect(enrollmentStep(live, null, now)).toEqual({ kind: 'new', approval: 'approved' });
    expect(enrollmentStep({ ...live, requiresApproval: true }, null, now)).toEqual({ kind: 'new', approval: 'pending' });
  });

  it('holds a new box to the token: expiry and use limit', () => {
    expect(refusal(() => enrollmentStep(expired, null, now))).toBe('TOKEN_EXPIRED');
    expect(refusal(() => enrollmentStep({ ...usedUp, requiresApproval: true }, null, now))).toBe('TOKEN_EXHAUSTED');
  });

  it('binds a pending or approved-but-uncertified box to its key, whatever became of the token since', () => {
    for (const token of [live, expired, usedUp]) {
      const pending = agent({ approval: 'pending', approvalKeySha256: KEY });
      expect(enrollmentStep(token, pending, now)).toEqual({ kind: 'bound', agent: pending, approval: 'pending', keySha256: KEY });
      const approved = agent({ approval: 'approved', approvalKeySha256: KEY });
      expect(enrollmentStep(token, approved, now)).toEqual({ kind: 'bound', agent: approved, approval: 'approved', keySha256: KEY });
    }
  });

  it('never certifies a pending agent that has no key bound', () => {
    const pending = agent({ approval: 'pending' });
    expect(enrollmentStep(live, pending, now)).toEqual({ kind: 'bound', agent: pending, approval: 'pending', keySha256: null });
  });

  it('refuses a rejected box, with or without a valid token', () => {
    for (const token of [live, expired]) expect(refusal(() => enrollmentStep(token, agent({ approval: 'rejected', approvalKeySha256: KEY }), now))).toBe('ENROLLMENT_REJECTED');
  });

  it('re-enrolls a certified agent as before: expired tokens refused, used-up ones fine', () => {
    const enrolled = agent();
    expect(enrollmentStep(usedUp, enrolled, now)).toEqual({ kind: 'reenroll', agent: enrolled });
    expect(enrollmentStep({ ...usedUp, requiresApproval: true }, enrolled, now)).toEqual({ kind: 'reenroll', agent: enrolled });
    expect(refusal(() => enrollmentStep(expired, enrolled, now))).toBe('TOKEN_EXPIRED');
  });
});

describe('reenrollment', () => {
  const auto = { requiresApproval: false };
  const approval = { requiresApproval: true };

  it('renews the same identity for the key of the current certificate, online or not, whatever the token', () => {
    for (const token of [auto, approval]) {
      for (const online of [false, true]) expect(reenrollment(token, agent({ certKeySha256: KEY, online }), KEY)).toBe('same-key');
    }
  });

  it('takes any key for an agent certified before keys were recorded', () => {
    for (const token of [auto, approval]) expect(reenrollment(token, agent({ certKeySha256: null, online: true }), OTHER_KEY)).toBe('same-key');
  });

  it('refuses another key while the agent is connected, whatever the token', () => {
    for (const token of [auto, approval]) {
      const claim = () => reenrollment(token, agent({ certKeySha256: KEY, online: true }), OTHER_KEY);
      expect(refusal(claim)).toBe('AGENT_IDENTITY_IN_USE');
      expect(claim).toThrow(/hw-1.*agent-1.*connected right now with another key.*delete that agent/);
    }
  });

  it('gives an offline agent to a re-imaged box: at once under a token without approval, after approval otherwise', () => {
    expect(reenrollment(auto, agent({ certKeySha256: KEY }), OTHER_KEY)).toBe('new-key');
    expect(reenrollment(approval, agent({ certKeySha256: KEY }), OTHER_KEY)).toBe('approve-again');
  });
});
