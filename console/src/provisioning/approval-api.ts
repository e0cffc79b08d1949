import type { AgentApproval, AgentSort, AgentView } from '@edgefleet/protocol';
import { ApiError, type AgentPage, type ApiClient } from '../api/client';

/** The approvals the provisioning screen lists; `GET /agents` lists only `approved` agents unless asked. */
export type Undecided = Exclude<AgentApproval, 'approved'>;
export type Decision = 'approve' | 'reject';

/**
 * Query keys under `['agents']`, so invalidating `['agents']` after a decision refreshes these
 * lists together with the fleet overview.
 */
export const approvalKeys = {
  all: (approval: Undecided) => ['agents', 'approval', approval] as const,
  page: (approval: Undecided, page: number) => ['agents', 'approval', approval, page] as const,
};

/** `GET /agents?approval=…`: one page of the agents waiting for (or refused) approval. */
export function agentsByApproval(client: ApiClient, approval: Undecided, page: { limit: number; offset: number; sort?: AgentSort }): Promise<AgentPage> {
  const params = new URLSearchParams({ approval, limit: String(page.limit), offset: String(page.offset), sort: page.sort ?? 'enrolledAt' });
  return client.request<AgentPage>('GET', `/agents?${params.toString()}`);
}

/** `POST /agents/{id}/approve` or `/reject`; a 409 `AGENT_NOT_PENDING` when someone else decided first. */
export function decide(client: ApiClient, agentId: string, decision: Decision): Promise<AgentView> {
  return client.request<AgentView>('POST', `/agents/${encodeURIComponent(agentId)}/${decision}`);
}

/** `DELETE /agents/{id}`: forgets a rejected box, so it may enroll again. */
export function deleteAgent(client: ApiClient, agentId: string): Promise<void> {
  return client.request<void>('DELETE', `/agents/${encodeURIComponent(agentId)}`);
}

/** What to tell the operator when a decision about `name` failed. */
export function decisionFailure(error: Error, name: string, decision: Decision): string {
  if (error instanceof ApiError) {
    if (error.code === 'AGENT_NOT_PENDING') return `"${name}" is no longer waiting: someone else approved or rejected it first. The list now shows where it stands.`;
    if (error.status === 404) return `"${name}" no longer exists: its record was deleted.`;
  }
  return `Cannot ${decision} "${name}": ${error.message}`;
}
