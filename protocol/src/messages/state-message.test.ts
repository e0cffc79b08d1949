import { describe, expect, it } from 'vitest';
import { isNewerState } from './state-message.js';

const run1 = '2026-11-22T08:00:00.000Z';
const run2 = '2026-11-22T09:00:00.000Z';

describe('isNewerState', () => {
  it('orders states of one run by their counter, not by the agent clock', () => {
    expect(isNewerState({ startedAt: run1, at: '2026-11-22T08:00:01.000Z', seq: 5 }, { startedAt: run1, at: '2026-11-22T08:00:02.000Z', seq: 4 })).toBe(true);
    expect(isNewerState({ startedAt: run1, at: '2026-11-22T08:00:03.000Z', seq: 4 }, { startedAt: run1, at: '2026-11-22T08:00:02.000Z', seq: 5 })).toBe(false);
    expect(isNewerState({ startedAt: run1, at: run1, seq: 5 }, { startedAt: run1, at: run1, seq: 5 })).toBe(false);
  });

  it('lets a later run win, and falls back to the time without counters', () => {
    expect(isNewerState({ startedAt: run2, at: run2, seq: 0 }, { startedAt: run1, at: run1, seq: 99 })).toBe(true);
    expect(isNewerState({ startedAt: run1, at: run1, seq: 99 }, { startedAt: run2, at: run2, seq: 0 })).toBe(false);
    expect(isNewerState({ startedAt: run1, at: '2026-11-22T08:00:05.000Z' }, { startedAt: run1, at: '2026-11-22T08:00:04.000Z' })).toBe(true);
    expect(isNewerState({ startedAt: run1, at: run1 }, null)).toBe(true);
  });
});
