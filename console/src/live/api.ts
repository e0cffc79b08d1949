import type { CommandResult, ConfigRevisionView, GroupValues, WriteArgsSchema } from '@edgefleet/protocol';
import type { z } from 'zod';
import type { ApiClient } from '../api/client';

/** `GET /agents/:id/values`: the latest values the agent holds from its own polls. */
export interface LiveValuesResponse {
  agentId: string;
  groups: GroupValues[];
}

/**
 * The body of `POST /agents/:id/tags/write`: device, group, tag and the value in engineering
 * units (the agent undoes the tag's scale and offset).
 */
export type WriteRequest = z.output<typeof WriteArgsSchema>;

/** What the agent answers once the device has acknowledged a write. */
export type WriteResult = CommandResult<'write'>;

const agentPath = (agentId: string) => `/agents/${encodeURIComponent(agentId)}`;

export function fetchLiveValues(client: ApiClient, agentId: string): Promise<LiveValuesResponse> {
  return client.request('GET', `${agentPath(agentId)}/values`);
}

/** The agent's desired config, for each tag's type, unit and access (secrets come redacted). */
export function fetchDesiredConfig(client: ApiClient, agentId: string): Promise<ConfigRevisionView> {
  return client.request('GET', `${agentPath(agentId)}/config`);
}

export function writeTag(client: ApiClient, agentId: string, body: WriteRequest): Promise<WriteResult> {
  return client.request('POST', `${agentPath(agentId)}/tags/write`, body);
}

/** Query keys of this screen, so a write can ask for fresh values at once. */
export const liveKeys = {
  values: (agentId: string) => ['agents', agentId, 'live-values'] as const,
  config: (agentId: string) => ['agents', agentId, 'config', 'desired'] as const,
};
