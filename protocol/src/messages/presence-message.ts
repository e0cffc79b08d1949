import { z } from 'zod';
import { IsoTimeSchema } from './common.js';

/**
 * `ef/v1/{agentId}/presence` — agent → plane, retained. The agent publishes `online` after
 * connecting; the broker publishes the agent's last will, `offline`, when the connection drops.
 * `at` in a last will is the time the agent connected, so the plane uses its own clock for
 * "last seen".
 */
export const PresenceMessageSchema = z.object({
  status: z.enum(['online', 'offline']),
  at: IsoTimeSchema,
});
export type PresenceMessage = z.infer<typeof PresenceMessageSchema>;
