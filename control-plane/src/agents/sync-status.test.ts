import { describe, expect, it } from 'vitest';
import { syncStatus, type SyncInputs } from './sync-status.js';

const base: SyncInputs = { online: true, desiredRevision: 3, appliedRevision: 2, reportedStatus: 'applied', reportedRevision: 2 };

describe('syncStatus', () => {
  it('is OFFLINE whenever the agent is not online, whatever it reported', () => {
    expect(syncStatus({ ...base, online: false })).toBe('OFFLINE');
    expect(syncStatus({ ...base, online: false, appliedRevision: 3 })).toBe('OFFLINE');
  });

  it('is IN_SYNC when the applied revision is the desired one, or there is none yet', () => {
    expect(syncStatus({ ...base, appliedRevision: 3, reportedRevision: 3 })).toBe('IN_SYNC');
    expect(syncStatus({ ...base, desiredRevision: 0, appliedRevision: null, reportedStatus: null, reportedRevision: null })).toBe('IN_SYNC');
  });

  it('is FAILED when the agent rejected or failed the desired revision', () => {
    expect(syncStatus({ ...base, reportedStatus: 'rejected', reportedRevision: 3 })).toBe('FAILED');
    expect(syncStatus({ ...base, reportedStatus: 'failed', reportedRevision: 3 })).toBe('FAILED');
  });

  it('is PENDING while the desired revision is on its way, or when an older one failed', () => {
    expect(syncStatus(base)).toBe('PENDING');
    expect(syncStatus({ ...base, reportedStatus: 'applying', reportedRevision: 3 })).toBe('PENDING');
    expect(syncStatus({ ...base, reportedStatus: 'failed', reportedRevision: 2 })).toBe('PENDING');
    expect(syncStatus({ ...base, appliedRevision: null, reportedStatus: null, reportedRevision: null })).toBe('PENDING');
  });
});
