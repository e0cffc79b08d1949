import type { AgentView, ConfigChange, ConfigRevisionView } from '@edgefleet/protocol';
import { ApiError, type ApiClient } from '../api/client';
import type { Json } from './doc-path';

const agentPath = (agentId: string) => `/agents/${encodeURIComponent(agentId)}`;

/** The changes a document would make against the agent's applied revision (`from`: null when it has applied none). */
export interface ConfigPreview {
  agentId: string;
  from: number | null;
  changes: ConfigChange[];
}

/** The agent's desired config, or null when it has none yet (404). */
export async function getDesiredConfig(client: ApiClient, agentId: string): Promise<ConfigRevisionView | null> {
  try {
    return await client.request<ConfigRevisionView>('GET', `${agentPath(agentId)}/config`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && err.code === 'NOT_FOUND' && /no config/i.test(err.message)) return null;
    throw err;
  }
}

export function getAgentView(client: ApiClient, agentId: string): Promise<AgentView> {
  return client.request('GET', agentPath(agentId));
}

/** What saving `document` would change against the revision the agent runs. Secrets are flagged, never shown. */
export function previewConfig(client: ApiClient, agentId: string, document: Json | undefined): Promise<ConfigPreview> {
  return client.request('POST', `${agentPath(agentId)}/config/diff`, { document });
}

/** Stores `document` as the agent's next desired revision (201). `SECRET_MARKER` keeps a stored secret. */
export function putConfig(client: ApiClient, agentId: string, document: Json | undefined, comment: string): Promise<ConfigRevisionView> {
  return client.request('PUT', `${agentPath(agentId)}/config`, comment.trim() ? { document, comment: comment.trim() } : { document });
}

/** The query keys other screens invalidate too (the agent page, the revision history). */
export const configKey = (agentId: string) => ['config', agentId] as const;
export const agentKey = (agentId: string) => ['agent', agentId] as const;
