import { z } from 'zod';

/** One validation failure: a path in the document's own notation and the reason. */
export const ValidationIssueSchema = z.object({
  path: z.string(),
  message: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

/**
 * Renders a zod path the way a person reads a document: `devices[0].groups[1].intervalMs`.
 * An empty path (the document itself) renders as `(root)`.
 */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

export function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** `devices[0].groups[1].intervalMs: must be at least 10` — one line per issue. */
export function describeIssues(issues: ReadonlyArray<ValidationIssue>): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** Validates without throwing; the caller decides how to report. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): ParseResult<z.output<S>> {
  const result = schema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toIssues(result.error) };
}

/** Parses JSON text, reporting malformed JSON as one issue at the root instead of throwing. */
export function parseJsonWith<S extends z.ZodType>(schema: S, text: string | Uint8Array): ParseResult<z.output<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  } catch (err) {
    return { ok: false, issues: [{ path: '(root)', message: `not valid JSON: ${(err as Error).message}` }] };
  }
  return parseWith(schema, raw);
}
