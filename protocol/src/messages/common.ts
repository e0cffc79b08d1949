import { z } from 'zod';
import { ErrorCode } from '../errors.js';
import { ValidationIssueSchema } from '../validation.js';

export const IsoTimeSchema = z.iso.datetime({ offset: true });
export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
export const RevisionSchema = z.number().int().min(1);

export const ErrorCodeSchema = z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]);

/** An error as it travels in state and replies: a code, a sentence, and for validation every failing path. */
export const WireErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  issues: z.array(ValidationIssueSchema).optional(),
  /** Machine-readable context, e.g. the untrusted server certificate of CERTIFICATE_UNTRUSTED. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type WireError = z.infer<typeof WireErrorSchema>;
