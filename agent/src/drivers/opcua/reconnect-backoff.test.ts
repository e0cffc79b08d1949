import { describe, expect, it } from 'vitest';
import { ReconnectBackoff } from './reconnect-backoff.js';

describe('reconnect back-off', () => {
  it('doubles from the minimum up to the maximum', () => {
    const b = new ReconnectBackoff(1000, 8000, () => 0);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('jitters downwards but never below the minimum nor above the maximum', () => {
    const b = new ReconnectBackoff(1000, 8000, () => 0.999);
    const delays = Array.from({ length: 10 }, () => b.next());
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(8000);
    }
    expect(delays[0]).toBe(1000);
    expect(delays[9]).toBe(6002);
  });

  it('starts again from the minimum after a reset', () => {
    const b = new ReconnectBackoff(200, 5000, () => 0);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(200);
  });
});
