import { describe, expect, it } from 'vitest';
import { RateMeter } from './rate-meter.js';

describe('RateMeter', () => {
  it('counts events per second over the window and forgets older ones', () => {
    let t = 100_000;
    const m = new RateMeter(10_000, () => t);
    expect(m.rate()).toBe(0);
    for (let i = 0; i < 50; i++) {
      m.add();
      t += 100; // 10 per second for 5 s
    }
    expect(m.rate()).toBeCloseTo(10, 0);
    t += 5_000; // silence for 5 s: about 50 events over 10 s (the oldest second has just left the window)
    expect(m.rate()).toBeGreaterThan(4);
    expect(m.rate()).toBeLessThan(6);
    t += 20_000;
    expect(m.rate()).toBe(0);
    m.add(30);
    t += 1_000;
    expect(m.rate()).toBeCloseTo(3, 0);
  });

  it('does not inflate the rate in the first second', () => {
    let t = 5_500;
    const m = new RateMeter(10_000, () => t);
    m.add(3);
    t += 200;
    expect(m.rate()).toBe(3);
  });
});
