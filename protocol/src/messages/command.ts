import { z } from 'zod';
import { IsoTimeSchema, WireErrorSchema } from './common.js';
import { GroupValuesSchema, TagValueSchema } from './values.js';
import { NameSchema } from '../config/names.js';

/** Request ids appear as a topic level, so they are restricted to safe characters. */
export const RequestIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8–64 letters, digits, _ or -');

const base = { requestId: RequestIdSchema, deadline: IsoTimeSchema };

/** Commands the plane sends on `ef/v1/{agentId}/cmd/{requestId}` (not retained, QoS 1). */
export const CommandRequestSchema = z.discriminatedUnion('command', [
  z.object({ ...base, command: z.literal('ping'), args: z.object({}).strict().default({}) }),
  z.object({
    ...base,
    command: z.literal('read-values'),
    args: z.object({ device: NameSchema.optional(), group: NameSchema.optional() }).strict().default({}),
  }),
  z.object({
    ...base,
    command: z.literal('write-tag'),
    args: z.object({ device: NameSchema, group: NameSchema, tag: NameSchema, value: TagValueSchema }).strict(),
  }),
]);
export type CommandRequest = z.infer<typeof CommandRequestSchema>;
export type CommandName = CommandRequest['command'];

export const PingResultSchema = z.object({ agentVersion: z.string(), appliedRevision: z.number().int().nullable(), at: IsoTimeSchema });
export const ReadValuesResultSchema = z.object({ groups: z.array(GroupValuesSchema) });
export const WriteTagResultSchema = z.object({ device: z.string(), group: z.string(), tag: z.string(), value: TagValueSchema });

/** Result schema per command, for the plane to validate replies. */
export const CommandResultSchemas = {
  ping: PingResultSchema,
  'read-values': ReadValuesResultSchema,
  'write-tag': WriteTagResultSchema,
} as const satisfies Record<CommandName, z.ZodType>;

export type CommandResult<C extends CommandName> = z.infer<(typeof CommandResultSchemas)[C]>;

/** `ef/v1/{agentId}/reply/{requestId}` — agent → plane (not retained, QoS 1). */
export const CommandReplySchema = z.discriminatedUnion('ok', [
  z.object({ requestId: RequestIdSchema, ok: z.literal(true), result: z.unknown() }),
  z.object({ requestId: RequestIdSchema, ok: z.literal(false), error: WireErrorSchema }),
]);
export type CommandReply = z.infer<typeof CommandReplySchema>;
