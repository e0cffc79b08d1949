import { describe, expect, it } from 'vitest';
import { decideConnect, decideSubscribe } from './access-control.js';

const A = '0b6f7e52-3c3e-4a8e-9d3a-1f2e3d4c5b6a';
const B = '9f8e7d6c-5b4a-4938-8271-605f4e3d2c1b';

describe('embedded broker access rules', () => {
  it('maps the CN to an identity and ties the client id to it', () => {
    expect(decideConnect({ commonName: A, clientId: A, revoked: false })).toMatchObject({ ok: true, identity: { kind: 'agent', agentId: A } });
    expect(decideConnect({ commonName: A, clientId: B, revoked: false }).ok).toBe(false);
    expect(decideConnect({ commonName: undefined, clientId: A, revoked: false }).ok).toBe(false);
    expect(decideConnect({ commonName: 'edgefleet-broker', clientId: 'edgefleet-broker', revoked: false }).ok).toBe(false);
    expect(decideConnect({ commonName: 'edgefleet-control-plane', clientId: 'edgefleet-control-plane-1', revoked: false }).ok).toBe(true);
    expect(decideConnect({ commonName: 'edgefleet-control-plane', clientId: 'plane-1', revoked: false }).ok).toBe(false);
    expect(decideConnect({ commonName: A, clientId: A, revoked: true }).ok).toBe(false);
  });

  it('checks the last will at connect', () => {
    expect(decideConnect({ commonName: A, clientId: A, will: { topic: `ef/v1/${A}/presence` }, revoked: false }).ok).toBe(true);
    expect(decideConnect({ commonName: A, clientId: A, will: { topic: `ef/v1/${B}/presence` }, revoked: false }).ok).toBe(false);
  });

  it('refuses shared subscriptions, which aedes 1.x cannot honour', () => {
    expect(decideSubscribe({ kind: 'control-plane' }, 'ef/v1/+/state')).toBe(true);
    expect(decideSubscribe({ kind: 'control-plane' }, '$share/edgefleet-cp/ef/v1/+/state')).toBe(false);
  });
});
