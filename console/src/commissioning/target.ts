import type { Device } from '@edgefleet/protocol/browser';
import type { QueryClient } from '@tanstack/react-query';

/**
 * The device the screen works on: one of the agent's desired config (secrets shown as
 * `********`, which the API resolves by the device's name), or a new one from the form.
 */
export type Target = { kind: 'saved'; device: Device } | { kind: 'new'; device: Device };

/** The query holding the agent's desired config, as commissioning reads it. */
export function configKey(agentId: string): readonly unknown[] {
  return ['commissioning', agentId, 'config'];
}

/**
 * After a new config revision: refetch commissioning's copy, and the other screens' views of the
 * agent's config and revisions (their keys: `['config', id]`, `['revisions', id]`, `['agent', id]`).
 */
export async function afterConfigChange(queries: QueryClient, agentId: string): Promise<void> {
  await Promise.all([configKey(agentId), ['config', agentId], ['revisions', agentId], ['agent', agentId]].map((queryKey) => queries.invalidateQueries({ queryKey })));
}
