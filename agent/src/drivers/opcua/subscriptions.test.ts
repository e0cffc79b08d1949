import { describe, expect, it } from 'vitest';
import { sequenceAfter, subscriptionParameters } from './subscriptions.js';

describe('subscription parameters', () => {
  it('publish and sample at the group interval with a keep-alive near 5 s', () => {
    expect(subscriptionParameters(100, 60_000)).toEqual({ requestedPublishingInterval: 100, requestedMaxKeepAliveCount: 50, requestedLifetimeCount: 600, queueSize: 21 });
    expect(subscriptionParameters(1000, 60_000)).toEqual({ requestedPublishingInterval: 1000, requestedMaxKeepAliveCount: 5, requestedLifetimeCount: 60, queueSize: 3 });
    expect(subscriptionParameters(60_000, 10_000)).toEqual({ requestedPublishingInterval: 60_000, requestedMaxKeepAliveCount: 1, requestedLifetimeCount: 3, queueSize: 2 });
    expect(subscriptionParameters(10, 60_000).queueSize).toBe(100);
  });

  it('compare sequence numbers across the 32-bit wrap', () => {
    expect(sequenceAfter(2, 1)).toBe(true);
    expect(sequenceAfter(1, 2)).toBe(false);
    expect(sequenceAfter(5, 5)).toBe(false);
    expect(sequenceAfter(1, 0xffff_fff0)).toBe(true);
    expect(sequenceAfter(0xffff_fff0, 1)).toBe(false);
  });
});
