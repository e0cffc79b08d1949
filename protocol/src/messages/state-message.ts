import { z } from 'zod';
import { IsoTimeSchema, RevisionSchema, Sha256Schema, WireErrorSchema } from './common.js';

/** The lifecycle of a connection to a device or a sink's transport. */
export const LinkStateSchema = z.enum(['connecting', 'connected', 'disconnected', 'error', 'disabled']);
export type LinkState = z.infer<typeof LinkStateSchema>;

export const ApplyStatusSchema = z.enum(['applying', 'applied', 'failed', 'rejected']);
export type ApplyStatus = z.infer<typeof ApplyStatusSchema>;

export const ComponentStateSchema = z.object({
  name: z.string(),
  kind: z.string(),
  link: LinkStateSchema,
  error: z.string().optional(),
});
export type ComponentState = z.infer<typeof ComponentStateSchema>;

/**
 * `ef/v1/{agentId}/state` — agent → plane, retained, QoS 1: the reported state.
 *
 * - `appliedRevision`/`appliedSha256`: the config the agent is running (null before the first).
 * - `status`/`revision`/`error`: the outcome of the most recent config message the agent acted on.
 *   `rejected` = invalid document or digest mismatch; `failed` = valid but could not be applied.
 *   In both cases the agent keeps running `appliedRevision`.
 * - `seq`: counts the state messages of one agent run (`startedAt`), so a plane that receives
 *   two of them out of order (replicas sharing a subscription) keeps the newer one.
 */
export const StateMessageSchema = z.object({
  appliedRevision: RevisionSchema.nullable(),
  appliedSha256: Sha256Schema.nullable(),
  status: ApplyStatusSchema,
  revision: RevisionSchema.nullable(),
  error: WireErrorSchema.nullable(),
  devices: z.array(ComponentStateSchema),
  sinks: z.array(ComponentStateSchema),
  agentVersion: z.string(),
  startedAt: IsoTimeSchema,
  at: IsoTimeSchema,
  seq: z.number().int().min(0).optional(),
});
export type StateMessage = z.infer<typeof StateMessageSchema>;

/**
 * Whether a state message is newer than the one a plane holds: a later run of the agent, or a
 * higher `seq` within the same run. Without `seq` (older agents), the agent's `at` decides.
 */
export function isNewerState(incoming: Pick<StateMessage, 'startedAt' | 'at' | 'seq'>, held: Pick<StateMessage, 'startedAt' | 'at' | 'seq'> | null | undefined): boolean {
  if (!held) return true;
  const runs = Date.parse(incoming.startedAt) - Date.parse(held.startedAt);
  if (runs !== 0) return runs > 0;
  if (incoming.seq !== undefined && held.seq !== undefined) return incoming.seq > held.seq;
  return Date.parse(incoming.at) >= Date.parse(held.at);
}
