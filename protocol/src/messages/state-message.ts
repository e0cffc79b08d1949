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
});
export type StateMessage = z.infer<typeof StateMessageSchema>;
