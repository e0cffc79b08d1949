import type { AgentView, ConfigDiffView, ConfigRevisionView } from '@edgefleet/protocol';
import type { ApiClient } from '../api/client';

/** A page of an agent's config revisions, newest first (the API orders by revision, descending). */
export interface RevisionPage {
  items: ConfigRevisionView[];
  total: number;
  limit: number;
  offset: number;
}

const agentPath = (agentId: string) => `/agents/${encodeURIComponent(agentId)}`;

export function listRevisions(client: ApiClient, agentId: string, page: { limit: number; offset: number }): Promise<RevisionPage> {
  const params = new URLSearchParams({ limit: String(page.limit), offset: String(page.offset) });
  return client.request('GET', `${agentPath(agentId)}/config/revisions?${params.toString()}`);
}

/** What changed from revision `from` to revision `to` (either may be the older one). */
export function diffRevisions(client: ApiClient, agentId: string, from: number, to: number): Promise<ConfigDiffView> {
  return client.request('GET', `${agentPath(agentId)}/config/revisions/${to}/diff?from=${from}`);
}

/** Stores a new revision carrying revision `revision`'s document; the API answers 201 with it. */
export function rollbackTo(client: ApiClient, agentId: string, revision: number, comment?: string): Promise<ConfigRevisionView> {
  return client.request('POST', `${agentPath(agentId)}/config/rollback`, comment ? { revision, comment } : { revision });
}

export function getAgent(client: ApiClient, agentId: string): Promise<AgentView> {
  return client.request('GET', agentPath(agentId));
}
