import type { AgentApproval } from '@edgefleet/protocol';
import { AppError } from '../common/errors/app-error.js';
import { tokenProblem, type TokenState } from './token-check.js';

/** What of an agent record decides how its box's enrollment request is answered. */
export interface KnownAgent {
  id: string;
  approval: AgentApproval;
  hardwareId: string;
  /** Set from the box's first request under an approval token until its first certificate is issued. */
  approvalKeySha256: string | null;
  /** The key of the agent's current certificate; null for agents certified before it was recorded. */
  certKeySha256: string | null;
  /** Connected to the fleet broker now (presence). */
  online: boolean;
}

/**
 * The way an enrollment request goes, given the token and the agent record of (fleet, hardware id):
 * - `new`: no record; a use of the token is counted and the agent is created `approved` (a
 *   certificate now) or `pending` (no certificate until an operator approves it);
 * - `bound`: the box asked under an approval token and has no certificate yet: only a CSR for the
 *   key of its first request is answered (`keySha256`), with `202` while pending and the first
 *   certificate once approved;
 * - `reenroll`: an approved agent with a certificate, enrolling again; what it gets depends on the
 *   key of its request (`reenrollment`).
 */
export type EnrollmentStep<A extends KnownAgent = KnownAgent> =
  | { kind: 'new'; approval: 'approved' | 'pending' }
  | { kind: 'bound'; agent: A; approval: 'approved' | 'pending'; keySha256: string | null }
  | { kind: 'reenroll'; agent: A };

/**
 * Chooses the step, or throws the refusal. Unknown and revoked tokens were refused before this.
 *
 * A box already recorded under an approval token is not held to the token's expiry or use limit:
 * it asked while the token was good, its key is bound to the record, and the operator's decision
 * is what it waits for; refusing it because the token ran out meanwhile would strand it with no
 * way back but a new token and a deleted record. A revoked token still refuses it (the operator's
 * explicit stop, checked before this). Re-enrollment of an approved agent is checked as it always
 * was (expiry yes, use limit no).
 */
export function enrollmentStep<A extends KnownAgent>(token: TokenState & { requiresApproval: boolean }, agent: A | null, now: Date): EnrollmentStep<A> {
  if (!agent) {
    const problem = tokenProblem(token, now, true);
    if (problem) throw new AppError(problem);
    return { kind: 'new', approval: token.requiresApproval ? 'pending' : 'approved' };
  }
  if (agent.approval === 'rejected') {
    throw new AppError('ENROLLMENT_REJECTED', `An operator rejected this box (agent ${agent.id}); an operator must delete the agent record before it can enroll again`);
  }
  // A pending record without a key cannot come from enrollment; it is bound to the next key that asks rather than certified.
  if (agent.approvalKeySha256 !== null || agent.approval === 'pending') return { kind: 'bound', agent, approval: agent.approval, keySha256: agent.approvalKeySha256 };
  const problem = tokenProblem(token, now, false);
  if (problem) throw new AppError(problem);
  return { kind: 'reenroll', agent };
}

/**
 * How an approved, certified agent's re-enrollment goes, given the key of the request:
 * - `same-key`: the key of its current certificate (or an agent certified before keys were
 *   recorded): a new certificate for the same identity, as often as it asks;
 * - `new-key`: another key, under a token without approval: a re-imaged box gets its record back
 *   with a certificate for its new key;
 * - `approve-again`: another key, under a token that requires approval: the agent waits as
 *   `pending`, bound to the new key, until an operator approves the re-imaged box again.
 *
 * Hardware ids are not secret, so another key while the agent is connected is a second box
 * claiming a running identity: refused (`AGENT_IDENTITY_IN_USE`) whatever the token.
 */
export type Reenrollment = 'same-key' | 'new-key' | 'approve-again';

export function reenrollment(token: { requiresApproval: boolean }, agent: KnownAgent, keySha256: string): Reenrollment {
  if (agent.certKeySha256 === null || agent.certKeySha256 === keySha256) return 'same-key';
  if (agent.online) {
    throw new AppError(
      'AGENT_IDENTITY_IN_USE',
      `An agent with hardware id ${agent.hardwareId} (agent ${agent.id}) is connected right now with another key; an operator must delete that agent before another box can take its identity`,
    );
  }
  return token.requiresApproval ? 'approve-again' : 'new-key';
}
