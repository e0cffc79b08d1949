import { z } from 'zod';
import { IsoTimeSchema, RevisionSchema } from './common.js';
import { LinkStateSchema } from './state-message.js';

export const DeviceStatsSchema = z.object({
  name: z.string(),
  driver: z.string(),
  link: LinkStateSchema,
  /** Poll cycles completed since the device started. */
  polls: z.number().int().min(0),
  /** Poll cycles that failed (device error, timeout) since the device started. */
  pollErrors: z.number().int().min(0),
  /** Tag reads that returned an error since the device started. */
  tagErrors: z.number().int().min(0),
  lastPollAt: IsoTimeSchema.nullable(),
  lastError: z.string().nullable(),
  /** Driver-specific figures (request plan, round-trip times); free-form. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type DeviceStats = z.infer<typeof DeviceStatsSchema>;

export const SinkStatsSchema = z.object({
  name: z.string(),
  kind: z.string(),
  link: LinkStateSchema,
  published: z.number().int().min(0),
  errors: z.number().int().min(0),
  dropped: z.number().int().min(0),
  /** Messages waiting to be sent and the age of the oldest, in ms (0 when empty). */
  bufferDepth: z.number().int().min(0),
  bufferOldestAgeMs: z.number().min(0),
  /** Bytes of the waiting messages (topic + payload). */
  bufferBytes: z.number().int().min(0).optional(),
  /** Why the sink's link is not up, or its last failure; never holds a secret. */
  lastError: z.string().nullable().optional(),
  /** Commands from the cloud that were not carried out (malformed, unknown tag, refused write); Sparkplug sinks count them. */
  refusedCommands: z.number().int().min(0).optional(),
});
export type SinkStats = z.infer<typeof SinkStatsSchema>;

/** `ef/v1/{agentId}/heartbeat` — agent → plane, not retained, QoS 0: periodic health. */
export const HeartbeatMessageSchema = z.object({
  at: IsoTimeSchema,
  uptimeSec: z.number().min(0),
  /** Process CPU since the previous heartbeat, in % of one core. */
  cpuPercent: z.number().min(0),
  rssBytes: z.number().int().min(0),
  heapUsedBytes: z.number().int().min(0),
  appliedRevision: RevisionSchema.nullable(),
  /** The interval until the next heartbeat: the plane treats an agent silent for several of them as offline. */
  intervalMs: z.number().int().min(1000).optional(),
  devices: z.array(DeviceStatsSchema),
  sinks: z.array(SinkStatsSchema),
});
export type HeartbeatMessage = z.infer<typeof HeartbeatMessageSchema>;
