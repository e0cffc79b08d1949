import type { AgentView, EnrollmentTokenView, FleetView } from '@edgefleet/protocol';
import { json } from '../test-support/render-in-console';

export const FLEET: FleetView = { id: 'f-1', name: 'default', description: null, template: {}, agentCount: 1, createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z' };

export interface Call {
  method: string;
  path: string;
  search: string;
  body?: unknown;
}

/** An agent as the API shows it; pending unless told otherwise. */
export function fakeAgent(name: string, over: Partial<AgentView> = {}): AgentView {
  return {
    id: `a-${name}`,
    fleetId: 'f-1',
    name,
    hardwareId: `hw-${name}`,
    online: false,
    lastSeenAt: null,
    desiredRevision: null,
    appliedRevision: null,
    syncStatus: 'OFFLINE',
    lastError: null,
    labels: {},
    facts: {},
    agentVersion: null,
    devices: [],
    sinks: [],
    heartbeat: null,
    enrolledAt: new Date(Date.now() - 120_000).toISOString(),
    approval: 'pending',
    ...over,
  };
}

/**
 * Answers the fleet, token and agent-approval routes like the control plane, keeping what it is
 * told: tests read `calls` and may change `agents` behind the console's back (another operator).
 */
export function fakeProvisioningApi(init: { agents?: AgentView[]; tokens?: EnrollmentTokenView[]; fleets?: FleetView[] } = {}) {
  const calls: Call[] = [];
  const agents = init.agents ?? [];
  const fleets = init.fleets ?? [FLEET];
  const tokens: EnrollmentTokenView[] = init.tokens ?? [
    {
      id: 't-old',
      fleetId: 'f-1',
      description: 'old batch',
      labels: {},
      expiresAt: '2020-01-01T00:00:00.000Z',
      maxUses: null,
      uses: 3,
      revokedAt: null,
      requiresApproval: false,
      createdBy: 'admin',
      createdAt: '2019-12-01T00:00:00.000Z',
    },
  ];
  const fetchImpl: typeof fetch = async (input, req) => {
    const url = new URL(String(input), 'http://console.test');
    const method = req?.method ?? 'GET';
    const body = req?.body ? (JSON.parse(String(req.body)) as Record<string, unknown>) : undefined;
    calls.push({ method, path: url.pathname, search: url.search, ...(body ? { body } : {}) });
    const path = url.pathname;
    if (path === '/api/v1/fleets') return json(fleets);

    const tokenRoute = /^\/api\/v1\/fleets\/([\w-]+)\/enrollment-tokens$/.exec(path);
    if (tokenRoute && method === 'GET') return json(tokens.filter((t) => t.fleetId === tokenRoute[1]));
    if (tokenRoute && method === 'POST') {
      if (body?.maxUses === 0) return json({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'invalid request', issues: [{ path: 'maxUses', message: 'must be at least 1' }] }, 400);
      const expiresAt = new Date(Date.now() + Number(body?.expiresInSec) * 1000).toISOString();
      const labels = (body?.labels ?? {}) as Record<string, string>;
      const maxUses = (body?.maxUses as number | undefined) ?? null;
      const requiresApproval = body?.requiresApproval === true;
      const id = `t-new-${tokens.length}`;
      tokens.unshift({
        id,
        fleetId: tokenRoute[1] ?? '',
        description: (body?.description as string | undefined) ?? null,
        labels,
        expiresAt,
        maxUses,
        uses: 0,
        revokedAt: null,
        requiresApproval,
        createdBy: 'admin',
        createdAt: new Date().toISOString(),
      });
      return json({ id, fleetId: tokenRoute[1], token: 'secret-token-1', expiresAt, maxUses, labels, requiresApproval, bootstrap: { controlPlaneUrl: 'http://plane.test', token: 'secret-token-1' } }, 201);
    }
    const revoke = /^\/api\/v1\/fleets\/[\w-]+\/enrollment-tokens\/([\w-]+)$/.exec(path);
    if (revoke && method === 'DELETE') {
      const t = tokens.find((x) => x.id === revoke[1]);
      if (t) t.revokedAt = new Date().toISOString();
      return new Response(null, { status: 204 });
    }

    if (path === '/api/v1/agents' && method === 'GET') {
      const approval = url.searchParams.get('approval') ?? 'approved';
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const sort = url.searchParams.get('sort') ?? 'name';
      const matching = agents.filter((a) => a.approval === approval);
      if (sort === 'enrolledAt') matching.sort((x, y) => x.enrolledAt.localeCompare(y.enrolledAt));
      if (sort === '-enrolledAt') matching.sort((x, y) => y.enrolledAt.localeCompare(x.enrolledAt));
      return json({ items: matching.slice(offset, offset + limit), total: matching.length, limit, offset });
    }
    const decision = /^\/api\/v1\/agents\/([\w-]+)\/(approve|reject)$/.exec(path);
    if (decision && method === 'POST') {
      const agent = agents.find((a) => a.id === decision[1]);
      if (!agent) return json({ statusCode: 404, code: 'NOT_FOUND', message: 'no such agent' }, 404);
      if (agent.approval !== 'pending') return json({ statusCode: 409, code: 'AGENT_NOT_PENDING', message: `agent is ${agent.approval}, not pending` }, 409);
      agent.approval = decision[2] === 'approve' ? 'approved' : 'rejected';
      return json(agent);
    }
    const agentRoute = /^\/api\/v1\/agents\/([\w-]+)$/.exec(path);
    if (agentRoute && method === 'DELETE') {
      const i = agents.findIndex((a) => a.id === agentRoute[1]);
      if (i < 0) return json({ statusCode: 404, code: 'NOT_FOUND', message: 'no such agent' }, 404);
      agents.splice(i, 1);
      return new Response(null, { status: 204 });
    }
    return json({ statusCode: 404, code: 'NOT_FOUND', message: 'no such route' }, 404);
  };
  return { fetch: fetchImpl, calls, agents, tokens };
}
