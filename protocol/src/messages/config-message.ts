import { z } from 'zod';
import { IsoTimeSchema, RevisionSchema, Sha256Schema } from './common.js';

/**
 * `ef/v1/{agentId}/config` — plane → agent, retained, QoS 1: the desired config.
 * `document` is deliberately `unknown` here: the agent validates it with `AgentConfigSchema`
 * separately, so an invalid document can be rejected with its issues instead of being dropped.
 */
export const ConfigMessageSchema = z.object({
  revision: RevisionSchema,
  sha256: Sha256Schema,
  document: z.unknown(),
  issuedAt: IsoTimeSchema,
});
export type ConfigMessage = z.infer<typeof ConfigMessageSchema>;
