import { z } from 'zod';
import { IsoTimeSchema, WireErrorSchema } from './common.js';
import { GroupValuesSchema, TagValueSchema } from './values.js';
import { NameSchema } from '../config/names.js';
import { DeviceSchema } from '../config/device.js';
import { checkDevice } from '../config/agent-config.js';
import { parseOpcUaNodeId } from '../config/opcua.js';

/** Where a browse starts when no node is given: the Objects folder. */
export const OPCUA_OBJECTS_FOLDER = 'i=85';

/** Request ids appear as a topic level, so they are restricted to safe characters. */
export const RequestIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8–64 letters, digits, _ or -');

/**
 * A device given in full with a command (test-connection, browse) rather than taken from the
 * running config. `DeviceSchema` alone checks each field; a config document adds the checks
 * that need the device's driver (tag addresses, types and access, group acquisition) and unique
 * names. They run here too, with paths relative to the device, so a bad Modbus address is
 * refused by the plane with the tag's name before anything connects, and by the agent again.
 */
export const FullDeviceSchema = DeviceSchema.superRefine((device, ctx) => {
  for (const issue of checkDevice(device)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});

/** An OPC UA NodeId in its string form (`ns=2;s=Line1`, `i=85`), checked like a tag address. */
export const NodeIdSchema = z
  .string()
  .max(4096)
  .superRefine((text, ctx) => {
    const parsed = parseOpcUaNodeId(text);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  });

export const ReadValuesArgsSchema = z.object({ device: NameSchema.optional(), group: NameSchema.optional() }).strict();
/** A group, or one tag of it, read from the device now. */
export const ReadArgsSchema = z.object({ device: NameSchema, group: NameSchema, tag: NameSchema.optional() }).strict();
/** A tag value to write, saying which shapes a value may take when it has none of them. */
const WriteValueSchema = z.union(TagValueSchema.options, {
  error: (issue) => (issue.input === undefined ? 'is required' : issue.code === 'invalid_union' ? 'must be a number, a boolean, a string or an array of octets' : undefined),
});
/** A value in engineering units (the tag's scale and offset are undone) for an `rw` tag. */
export const WriteArgsSchema = z.object({ device: NameSchema, group: NameSchema, tag: NameSchema, value: WriteValueSchema }).strict();
/** A configured device by name, or a device given in full (commissioning, before it is saved). */
export const BrowseArgsSchema = z
  .object({
    device: z.union([NameSchema, FullDeviceSchema], { error: (issue) => (issue.code === 'invalid_union' ? 'must be the name of a configured device or a device object' : undefined) }),
    nodeId: NodeIdSchema.default(OPCUA_OBJECTS_FOLDER),
  })
  .strict();
export const TestConnectionArgsSchema = z.object({ device: FullDeviceSchema }).strict();

const base = { requestId: RequestIdSchema, deadline: IsoTimeSchema };

/** Commands the plane sends on `ef/v1/{agentId}/cmd/{requestId}` (not retained, QoS 1). */
export const CommandRequestSchema = z.discriminatedUnion('command', [
  z.object({ ...base, command: z.literal('ping'), args: z.object({}).strict().default({}) }),
  /** The latest values the agent holds (from its polls), without asking the devices. */
  z.object({ ...base, command: z.literal('read-values'), args: ReadValuesArgsSchema.default({}) }),
  /** Reads a group (or one tag of it) from the device now, not from the latest poll. */
  z.object({ ...base, command: z.literal('read'), args: ReadArgsSchema }),
  /** Writes a value to an `rw` tag and reports how long the device took to acknowledge it. */
  z.object({ ...base, command: z.literal('write'), args: WriteArgsSchema }),
  /** Lists a node's children on an OPC UA server. */
  z.object({ ...base, command: z.literal('browse'), args: BrowseArgsSchema }),
  /** Connects to a device given in full, reads each of its groups once, and disconnects. */
  z.object({ ...base, command: z.literal('test-connection'), args: TestConnectionArgsSchema }),
]);
export type CommandRequest = z.infer<typeof CommandRequestSchema>;
export type CommandName = CommandRequest['command'];

export const PingResultSchema = z.object({ agentVersion: z.string(), appliedRevision: z.number().int().nullable(), at: IsoTimeSchema });
export const ReadValuesResultSchema = z.object({ groups: z.array(GroupValuesSchema) });
export const ReadResultSchema = GroupValuesSchema;
export const WriteResultSchema = z.object({
  device: z.string(),
  group: z.string(),
  tag: z.string(),
  /** The value written, as requested (engineering units). */
  value: TagValueSchema,
  /** How long the device took to acknowledge the write. */
  durationMs: z.number().min(0),
});

export const BrowseNodeSchema = z.object({
  nodeId: z.string(),
  browseName: z.string(),
  displayName: z.string(),
  nodeClass: z.enum(['Object', 'Variable', 'Method', 'ObjectType', 'VariableType', 'ReferenceType', 'DataType', 'View', 'Unspecified']),
  /** Variables: the data type's name (Double, Int32, String…), and the tag type it maps to. */
  dataType: z.string().optional(),
  tagType: z.string().optional(),
  /** Variables: whether the current user may read and write the value. */
  readable: z.boolean().optional(),
  writable: z.boolean().optional(),
  /** Whether the node has children of its own to browse. */
  hasChildren: z.boolean(),
});
export type BrowseNode = z.infer<typeof BrowseNodeSchema>;
export const BrowseResultSchema = z.object({ nodeId: z.string(), children: z.array(BrowseNodeSchema) });

/** A server certificate as an operator reviews it before trusting it. */
export const ServerCertificateInfoSchema = z.object({
  fingerprint: z.string(),
  subject: z.string(),
  issuer: z.string(),
  validFrom: IsoTimeSchema,
  validTo: IsoTimeSchema,
  pem: z.string(),
});
export type ServerCertificateInfo = z.infer<typeof ServerCertificateInfoSchema>;

export const TestConnectionResultSchema = z.object({
  /** Whether the connection was made (and, with groups, whether every read succeeded). */
  ok: z.boolean(),
  durationMs: z.number().min(0),
  /** What happened, in words: the reason when `ok` is false. */
  message: z.string(),
  error: WireErrorSchema.optional(),
  /** OPC UA: the certificate the server presented, for the operator to review and trust. */
  serverCertificate: ServerCertificateInfoSchema.optional(),
  /** One read of each group, when the device had groups. */
  groups: z.array(GroupValuesSchema),
});
export type TestConnectionResult = z.infer<typeof TestConnectionResultSchema>;

/** Result schema per command, for the plane to validate replies. */
export const CommandResultSchemas = {
  ping: PingResultSchema,
  'read-values': ReadValuesResultSchema,
  read: ReadResultSchema,
  write: WriteResultSchema,
  browse: BrowseResultSchema,
  'test-connection': TestConnectionResultSchema,
} as const satisfies Record<CommandName, z.ZodType>;

export type CommandResult<C extends CommandName> = z.infer<(typeof CommandResultSchemas)[C]>;

/** `ef/v1/{agentId}/reply/{requestId}` — agent → plane (not retained, QoS 1). */
export const CommandReplySchema = z.discriminatedUnion('ok', [
  z.object({ requestId: RequestIdSchema, ok: z.literal(true), result: z.unknown() }),
  z.object({ requestId: RequestIdSchema, ok: z.literal(false), error: WireErrorSchema }),
]);
export type CommandReply = z.infer<typeof CommandReplySchema>;
