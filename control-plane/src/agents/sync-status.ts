import type { SyncStatus } from '@edgefleet/protocol';

export interface SyncInputs {
  online: boolean;
  /** 0 = no revision yet. */
  desiredRevision: number;
  appliedRevision: number | null;
  /** The outcome the agent last reported (`applying | applied | failed | rejected`) and for which revision. */
  reportedStatus: string | null;
  reportedRevision: number | null;
}

const FAILURES = new Set(['failed', 'rejected']);
export const FAILED_STATUSES = [...FAILURES];

/**
 * How far an agent is from its desired config, in the order an operator cares about:
 * an offline agent cannot converge; an agent running its desired revision (or with none to run)
 * is in sync; an agent that refused or failed the desired revision has failed; anything else is
 * still on its way.
 */
export function syncStatus(a: SyncInputs): SyncStatus {
  if (!a.online) return 'OFFLINE';
  if (a.desiredRevision === 0 || a.appliedRevision === a.desiredRevision) return 'IN_SYNC';
  if (a.reportedRevision === a.desiredRevision && a.reportedStatus !== null && FAILURES.has(a.reportedStatus)) return 'FAILED';
  return 'PENDING';
}
