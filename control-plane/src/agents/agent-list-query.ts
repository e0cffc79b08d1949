import { AgentApprovalSchema, AgentSortSchema, SyncStatusSchema } from '@edgefleet/protocol';
import { z } from 'zod';
import { PaginationQuerySchema } from '../common/http/pagination.js';

/** A `label=` selector: the agent has label `key`, with `value` when one is given. */
export interface LabelSelector {
  key: string;
  value?: string;
}

/** The bounds enrollment tokens put on labels (`CreateEnrollmentTokenRequestSchema`). */
const MAX_LABEL_KEY = 64;
const MAX_LABEL_VALUE = 256;
const MAX_LABEL_SELECTORS = 20;
const MAX_SEARCH = 200;

/** `key=value` or `key`; the first `=` separates them, so a value may hold more. */
const LabelSelectorSchema = z.string().transform((raw, ctx): LabelSelector => {
  const eq = raw.indexOf('=');
  const key = eq < 0 ? raw : raw.slice(0, eq);
  const value = eq < 0 ? undefined : raw.slice(eq + 1);
  if (key.length === 0 || key.length > MAX_LABEL_KEY || (value !== undefined && value.length > MAX_LABEL_VALUE)) {
    ctx.addIssue({ code: 'custom', message: `must be key=value or key, with a key of 1 to ${MAX_LABEL_KEY} characters and a value of at most ${MAX_LABEL_VALUE}` });
    return { key };
  }
  return value === undefined ? { key } : { key, value };
});

/** A repeated query parameter arrives as an array, a single one as a string. */
const asList = (v: unknown): unknown => (v === undefined || Array.isArray(v) ? v : [v]);

export const ListAgentsQuerySchema = PaginationQuerySchema.extend({
  fleetId: z.uuid().optional(),
  status: SyncStatusSchema.optional(),
  /** Case-insensitive substring of the name or the hardware id; blank means no filter. */
  q: z
    .string()
    .max(MAX_SEARCH)
    .optional()
    .transform((s) => s?.trim() || undefined),
  label: z.preprocess(asList, z.array(LabelSelectorSchema).max(MAX_LABEL_SELECTORS).optional()),
  sort: AgentSortSchema.default('name'),
  /** Agents waiting for approval or rejected are listed only when asked for; the default list (and its counts) is the approved fleet. */
  approval: AgentApprovalSchema.default('approved'),
});
export type ListAgentsQuery = z.output<typeof ListAgentsQuerySchema>;
