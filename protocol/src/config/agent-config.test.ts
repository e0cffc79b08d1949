import { describe, expect, it } from 'vitest';
import { AgentConfigSchema, parseWith, describeIssues, configDigest } from '../index.js';

const valid = {
  devices: [
    {
      name: 'sim',
      driver: 'simulator',
      settings: {},
      groups: [
        { name: 'fast', intervalMs: 100, tags: [{ name: 'wave', address: 'sine(period=5000)', type: 'float64' }] },
        { name: 'slow', intervalMs: 1000, tags: [{ name: 'setpoint', address: 'memory(initial=5)', type: 'float64', access: 'rw' }] },
      ],
    },
  ],
  northbound: [{ name: 'fleet', kind: 'mqtt', subscriptions: [{ device: 'sim', group: 'fast' }] }],
};

describe('AgentConfigSchema', () => {
  it('accepts a valid document and applies defaults', () => {
    const r = parseWith(AgentConfigSchema, valid);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.agent.heartbeatIntervalMs).toBe(10_000);
    expect(r.value.northbound[0]?.settings).toMatchObject({ topic: 'ef/v1/{agent}/data/{sink}/{device}/{group}', format: 'values' });
    expect(r.value.devices[0]?.groups[0]?.tags[0]?.access).toBe('r');
  });

  it('names the path and the reason of each failure', () => {
    const bad = structuredClone(valid) as typeof valid;
    (bad.devices[0]!.groups[1] as { intervalMs: number }).intervalMs = 5;
    const r = parseWith(AgentConfigSchema, bad);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(describeIssues(r.issues)).toBe('devices[0].groups[1].intervalMs: must be at least 10');
  });

  it('rejects dangling subscriptions, duplicate names, bad simulator addresses and unknown drivers', () => {
    const r = parseWith(AgentConfigSchema, {
      devices: [
        { name: 'a', driver: 'simulator', groups: [{ name: 'g', intervalMs: 100, tags: [{ name: 't', address: 'squarewave', type: 'int16' }, { name: 't', address: 'sine', type: 'int16', access: 'rw' }] }] },
        { name: 'a', driver: 'simulator', groups: [] },
        { name: 'b', driver: 'profibus', groups: [] },
      ],
      northbound: [{ name: 'n', kind: 'mqtt', subscriptions: [{ device: 'a', group: 'nope' }, { device: 'zz', group: 'g' }] }],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = Object.fromEntries(r.issues.map((i) => [i.path, i.message]));
    expect(paths['devices[2].driver']).toMatch(/one of 'simulator'/);
    // Cross-reference checks run only once the shapes parse; fix the driver and look again.
    const again = parseWith(AgentConfigSchema, {
      devices: [
        { name: 'a', driver: 'simulator', groups: [{ name: 'g', intervalMs: 100, tags: [{ name: 't', address: 'squarewave', type: 'int16' }, { name: 't', address: 'sine', type: 'int16', access: 'rw' }] }] },
        { name: 'a', driver: 'simulator', groups: [] },
      ],
      northbound: [{ name: 'n', kind: 'mqtt', subscriptions: [{ device: 'a', group: 'nope' }, { device: 'zz', group: 'g' }] }],
    });
    expect(again.ok).toBe(false);
    if (again.ok) return;
    const p2 = Object.fromEntries(again.issues.map((i) => [i.path, i.message]));
    expect(p2['devices[0].groups[0].tags[0].address']).toMatch(/unknown simulator function 'squarewave'/);
    expect(p2['devices[0].groups[0].tags[1].name']).toMatch(/duplicate tag name 't'/);
    expect(p2['devices[0].groups[0].tags[1].access']).toMatch(/only memory/);
    expect(p2['devices[1].name']).toMatch(/duplicate device name 'a'/);
    expect(p2['northbound[0].subscriptions[0].group']).toMatch(/has no group named 'nope'/);
    expect(p2['northbound[0].subscriptions[1].device']).toMatch(/no device named 'zz'/);
  });

  it('keeps fleet-broker topics inside the agent namespace', () => {
    const r = parseWith(AgentConfigSchema, { northbound: [{ name: 'n', kind: 'mqtt', settings: { topic: 'plant/{device}' } }] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toEqual({ path: 'northbound[0].settings.topic', message: "on the fleet broker the topic must start with 'ef/v1/{agent}/'" });
  });
});

describe('configDigest', () => {
  it('does not depend on key order', () => {
    expect(configDigest({ a: 1, b: { c: 2, d: [1, { e: 1, f: 2 }] } })).toBe(configDigest({ b: { d: [1, { f: 2, e: 1 }], c: 2 }, a: 1 }));
    expect(configDigest({ a: 1 })).not.toBe(configDigest({ a: 2 }));
  });
});
