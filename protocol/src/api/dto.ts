import { z } from 'zod';
import { ErrorCodeSchema, IsoTimeSchema } from '../messages/common.js';
import { ValidationIssueSchema } from '../validation.js';
import { secret } from '../config/secret.js';
import { ComponentStateSchema } from '../messages/state-message.js';
import { DeviceStatsSchema, HeartbeatMessageSchema, SinkStatsSchema } from '../messages/heartbeat-message.js';

/** Every error answer of the REST API. */
export const ApiErrorSchema = z.object({
  statusCode: z.number().int(),
  code: ErrorCodeSchema,
  message: z.string(),
  issues: z.array(ValidationIssueSchema).optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

export const LoginRequestSchema = z.object({ username: z.string().min(1).max(128), password: z.string().min(1).max(1024) }).strict();
export type LoginRequest = z.infer<typeof LoginRequestSchema>;
export const LoginResponseSchema = z.object({ token: z.string(), expiresAt: IsoTimeSchema, user: z.object({ username: z.string(), role: z.string() }) });
export type LoginResponse = z.infer<typeof LoginResponseSchema>;

/**
 * What a signed-in user may do. Each role includes the ones below it: `viewer` reads; `operator`
 * also changes configs, trusts certificates and reads, browses, tests and writes devices; `admin`
 * also provisions (enrollment tokens, approvals, agent deletion, fleet templates) and manages users.
 */
export const RoleSchema = z.enum(['viewer', 'operator', 'admin']);
export type Role = z.infer<typeof RoleSchema>;

/** A user as the API shows it: never the password hash. */
export const UserViewSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: RoleSchema,
  createdAt: IsoTimeSchema,
  updatedAt: IsoTimeSchema,
});
export type UserView = z.infer<typeof UserViewSchema>;

/** User names: letters, digits and `. _ @ -`, starting with a letter or digit (they show in config authors and audit fields). */
export const UsernameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'may hold only letters, digits and . _ @ -, and must start with a letter or digit');
/** At least 12 characters; the upper bound only keeps hashing cheap. */
export const NewPasswordSchema = secret(z.string().min(12).max(1024));

export const CreateUserRequestSchema = z.object({ username: UsernameSchema, password: NewPasswordSchema, role: RoleSchema }).strict();
export type CreateUserRequest = z.infer<typeof CreateUserRequestSchema>;

/** Either or both; changing either ends the user's sessions. */
export const UpdateUserRequestSchema = z
  .object({ role: RoleSchema.optional(), password: NewPasswordSchema.optional() })
  .strict()
  .refine((v) => v.role !== undefined || v.password !== undefined, { message: 'give a role, a password or both' });
export type UpdateUserRequest = z.infer<typeof UpdateUserRequestSchema>;

export const SyncStatusSchema = z.enum(['IN_SYNC', 'PENDING', 'FAILED', 'OFFLINE']);
export type SyncStatus = z.infer<typeof SyncStatusSchema>;

/**
 * Whether an agent may have an identity: `approved` (every agent enrolled with a token that does
 * not require approval, and every agent from before approvals existed), `pending` (enrolled with a
 * token that requires approval, waiting for an operator; no certificate, no config), `rejected`
 * (refused by an operator; the box's polls get `403 ENROLLMENT_REJECTED` until the record is deleted).
 */
export const AgentApprovalSchema = z.enum(['approved', 'pending', 'rejected']);
export type AgentApproval = z.infer<typeof AgentApprovalSchema>;

export const AgentViewSchema = z.object({
  id: z.string(),
  fleetId: z.string(),
  name: z.string(),
  hardwareId: z.string(),
  approval: AgentApprovalSchema,
  online: z.boolean(),
  lastSeenAt: IsoTimeSchema.nullable(),
  desiredRevision: z.number().int().nullable(),
  appliedRevision: z.number().int().nullable(),
  syncStatus: SyncStatusSchema,
  /** The last error the agent reported (rejected or failed config), or null. */
  lastError: z.object({ code: z.string(), message: z.string(), revision: z.number().int().nullable(), issues: z.array(ValidationIssueSchema).optional() }).nullable(),
  labels: z.record(z.string(), z.string()),
  facts: z.record(z.string(), z.unknown()),
  agentVersion: z.string().nullable(),
  devices: z.array(ComponentStateSchema),
  sinks: z.array(ComponentStateSchema),
  heartbeat: HeartbeatMessageSchema.nullable(),
  enrolledAt: IsoTimeSchema,
});
export type AgentView = z.infer<typeof AgentViewSchema>;

/**
 * Orders of `GET /agents?sort=`: a field ascending, or descending with a leading `-`; agents that
 * tie are ordered by id, so pages never overlap. Agents never seen sort last both ways by
 * `lastSeenAt`. `status` puts the agents that need attention first: FAILED, OFFLINE, PENDING,
 * IN_SYNC (then by name).
 */
export const AgentSortSchema = z.enum(['name', '-name', 'lastSeenAt', '-lastSeenAt', 'status', 'enrolledAt', '-enrolledAt']);
export type AgentSort = z.infer<typeof AgentSortSchema>;
/** The order `sort=status` lists the sync statuses in. */
export const AGENT_STATUS_SORT_ORDER: readonly SyncStatus[] = ['FAILED', 'OFFLINE', 'PENDING', 'IN_SYNC'];

/** A sink's figures in a health sample: its link and its store-and-forward buffer. Counters count since the agent started. */
export const HealthSampleSinkSchema = SinkStatsSchema.pick({ name: true, link: true, bufferDepth: true, bufferOldestAgeMs: true, dropped: true }).extend({
  /** Null when the agent did not report it. */
  bufferBytes: z.number().int().min(0).nullable(),
});
export type HealthSampleSink = z.infer<typeof HealthSampleSinkSchema>;

/** A device's figures in a health sample. Counters count since the agent started. */
export const HealthSampleDeviceSchema = DeviceStatsSchema.pick({ name: true, link: true, polls: true, pollErrors: true, tagErrors: true, lastError: true });
export type HealthSampleDevice = z.infer<typeof HealthSampleDeviceSchema>;

/** One stored heartbeat, downsampled; `at` is when the control plane received it. */
export const AgentHealthSampleSchema = z.object({
  at: IsoTimeSchema,
  cpuPercent: z.number(),
  rssBytes: z.number().int(),
  heapUsedBytes: z.number().int(),
  uptimeSec: z.number(),
  sinks: z.array(HealthSampleSinkSchema),
  devices: z.array(HealthSampleDeviceSchema),
});
export type AgentHealthSample = z.infer<typeof AgentHealthSampleSchema>;

/** `GET /agents/{id}/health?minutes=N`: the samples of the last N minutes, oldest first, at most one per `sampleMs`. */
export const AgentHealthHistorySchema = z.object({
  agentId: z.string(),
  sampleMs: z.number().int(),
  items: z.array(AgentHealthSampleSchema),
});
export type AgentHealthHistory = z.infer<typeof AgentHealthHistorySchema>;

export const ConfigRevisionViewSchema = z.object({
  agentId: z.string(),
  revision: z.number().int(),
  /** Digest of the document the agent runs (secrets included), as in the config message. */
  sha256: z.string(),
  /** The config with every secret shown as `SECRET_MARKER` (`'********'`). */
  document: z.unknown(),
  author: z.string(),
  comment: z.string().nullable(),
  rollbackOf: z.number().int().nullable(),
  createdAt: IsoTimeSchema,
});
export type ConfigRevisionView = z.infer<typeof ConfigRevisionViewSchema>;

/**
 * One difference between two config revisions, at a path in the document's notation. Values are
 * shown as the API shows documents: secrets as `SECRET_MARKER`. A changed secret is listed with
 * `secret: true` and the marker on both sides, so a diff says that it changed, never what to.
 */
export const ConfigChangeSchema = z.object({
  path: z.string(),
  change: z.enum(['added', 'removed', 'changed']),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  secret: z.literal(true).optional(),
});
export type ConfigChange = z.infer<typeof ConfigChangeSchema>;

export const ConfigDiffViewSchema = z.object({
  agentId: z.string(),
  from: z.number().int(),
  to: z.number().int(),
  changes: z.array(ConfigChangeSchema),
});
export type ConfigDiffView = z.infer<typeof ConfigDiffViewSchema>;

/**
 * `document` may carry `SECRET_MARKER` in place of a secret the agent's desired config (the
 * fleet's template, for a fleet) already holds at the same field: that secret is kept.
 */
export const PutConfigRequestSchema = z.object({ document: z.unknown(), comment: z.string().max(1024).optional() }).strict();

/**
 * `POST /agents/{id}/config/diff`: what storing `document` would change, compared with revision
 * `from` (default the applied revision, else the desired one). `document` is read as a PUT reads it,
 * `SECRET_MARKER` included.
 */
export const ConfigPreviewDiffRequestSchema = z.object({ document: z.unknown(), from: z.number().int().min(1).optional() }).strict();
export type ConfigPreviewDiffRequest = z.infer<typeof ConfigPreviewDiffRequestSchema>;

/** The preview's answer; `from` is null when the agent has no revision yet (every item is then `added`). */
export const ConfigPreviewDiffSchema = z.object({
  agentId: z.string(),
  from: z.number().int().nullable(),
  changes: z.array(ConfigChangeSchema),
});
export type ConfigPreviewDiff = z.infer<typeof ConfigPreviewDiffSchema>;
export const RollbackRequestSchema = z.object({ revision: z.number().int().min(1), comment: z.string().max(1024).optional() }).strict();

export const CreateEnrollmentTokenRequestSchema = z
  .object({
    description: z.string().max(256).optional(),
    /** Lifetime in seconds from now; default one day. */
    expiresInSec: z.number().int().min(60).max(31_536_000).default(86_400),
    maxUses: z.number().int().min(1).max(1_000_000).optional(),
    labels: z.record(z.string().min(1).max(64), z.string().max(256)).default({}),
    /** Agents enrolling with this token wait as `pending` until an operator approves them. */
    requiresApproval: z.boolean().default(false),
  })
  .strict();
export type CreateEnrollmentTokenRequest = z.infer<typeof CreateEnrollmentTokenRequestSchema>;

export const EnrollmentTokenCreatedSchema = z.object({
  id: z.string(),
  fleetId: z.string(),
  /** Shown once; only its hash is stored. */
  token: z.string(),
  expiresAt: IsoTimeSchema,
  maxUses: z.number().int().nullable(),
  labels: z.record(z.string(), z.string()),
  requiresApproval: z.boolean(),
  /** A ready bootstrap file for box images. */
  bootstrap: z.object({ controlPlaneUrl: z.string(), token: z.string(), caFingerprint: z.string().optional() }),
});
export type EnrollmentTokenCreated = z.infer<typeof EnrollmentTokenCreatedSchema>;

/** A token as listed: never the token itself, only what it is for and how it was used. */
export const EnrollmentTokenViewSchema = z.object({
  id: z.string(),
  fleetId: z.string(),
  description: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  expiresAt: IsoTimeSchema,
  maxUses: z.number().int().nullable(),
  uses: z.number().int(),
  requiresApproval: z.boolean(),
  revokedAt: IsoTimeSchema.nullable(),
  createdBy: z.string(),
  createdAt: IsoTimeSchema,
});
export type EnrollmentTokenView = z.infer<typeof EnrollmentTokenViewSchema>;

export const FleetViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  /** The config document new agents get; secrets shown as `SECRET_MARKER`. */
  template: z.unknown(),
  agentCount: z.number().int(),
  createdAt: IsoTimeSchema,
  updatedAt: IsoTimeSchema,
});
export type FleetView = z.infer<typeof FleetViewSchema>;

/** Whether an audited request did what it asked; a refused one carries its error code. */
export const AuditOutcomeSchema = z.enum(['ok', 'refused']);
export type AuditOutcome = z.infer<typeof AuditOutcomeSchema>;

/**
 * One audit log entry: who (`actor`: a user name, `agent:<id>` or `enrollment` for what no user
 * did, null when anonymous), what (`action`: a stable dotted name such as `config.put`, or
 * `<METHOD> <route>` for a change no service named), when, from where, and the state before and
 * after. Never holds a secret: configs are recorded as revision numbers and a redacted diff.
 */
export const AuditEntryViewSchema = z.object({
  id: z.string(),
  at: IsoTimeSchema,
  actor: z.string().nullable(),
  actorRole: RoleSchema.nullable(),
  sourceIp: z.string().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  outcome: AuditOutcomeSchema,
  errorCode: ErrorCodeSchema.nullable(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  details: z.unknown().nullable(),
});
export type AuditEntryView = z.infer<typeof AuditEntryViewSchema>;

/** `GET /api/v1/audit`: every filter is optional; `action` matches a prefix (`config.`). Newest first. */
export const AuditQuerySchema = z
  .object({
    actor: z.string().min(1).max(256).optional(),
    action: z.string().min(1).max(256).optional(),
    targetType: z.string().min(1).max(64).optional(),
    targetId: z.string().min(1).max(256).optional(),
    since: IsoTimeSchema.optional(),
    until: IsoTimeSchema.optional(),
    outcome: AuditOutcomeSchema.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();
export type AuditQuery = z.output<typeof AuditQuerySchema>;

export const AuditPageSchema = z.object({
  items: z.array(AuditEntryViewSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type AuditPage = z.infer<typeof AuditPageSchema>;
