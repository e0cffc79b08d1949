import type { AgentView } from '@edgefleet/protocol';

/** An agent as the API shows it: online, in sync at revision 1, approved; `over` changes any field. */
export function agentView(over: Partial<AgentView> = {}): AgentView {
  return {
    id: 'agent-1',
    fleetId: 'f',
    name: 'press-gw',
    hardwareId: 'hw-1',
    online: true,
    lastSeenAt: '2026-12-03T10:00:00.000Z',
    desiredRevision: 1,
    appliedRevision: 1,
    syncStatus: 'IN_SYNC',
    lastError: null,
    labels: {},
    facts: {},
    agentVersion: '0.1.0',
    devices: [],
    sinks: [],
    heartbeat: null,
    enrolledAt: '2026-12-01T10:00:00.000Z',
    approval: 'approved',
    ...over,
  };
}
