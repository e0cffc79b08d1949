import { describe, expect, it } from 'vitest';
import { formatAgo, formatBytes, formatDuration } from './format';

describe('formatting', () => {
  it('sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
  });

  it('durations in their two largest units', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1_500)).toBe('1.5 s');
    expect(formatDuration(2_000)).toBe('2 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(2 * 3600_000 + 5 * 60_000 + 3_000)).toBe('2 h 5 min');
    expect(formatDuration(3 * 86_400_000 + 4 * 3600_000)).toBe('3 d 4 h');
    expect(formatDuration(-1)).toBe('—');
  });

  it('times as how long ago', () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    expect(formatAgo('2026-12-03T09:59:48Z', now)).toBe('12 s ago');
    expect(formatAgo('2026-12-03T09:59:57.600Z', now)).toBe('2 s ago');
    expect(formatAgo('2026-12-03T09:55:00Z', now)).toBe('5 min ago');
    expect(formatAgo(null, now)).toBe('never');
  });
});
