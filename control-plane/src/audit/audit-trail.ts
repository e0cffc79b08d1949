import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import type { Role } from '@edgefleet/protocol';

/** What a service may say about the request it serves: merged into the request's one entry. */
export interface AuditNote {
  /** A stable dotted name (`config.put`); without one the entry is `<METHOD> <route>`. */
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Overrides the signed-in user: `enrollment`, `agent:<id>`, or a user name for a login. */
  actor?: string | null;
  actorRole?: Role | null;
  before?: unknown;
  after?: unknown;
  /** Merged key by key with what was noted before. */
  details?: Record<string, unknown>;
}

/** The entry being built for one HTTP request (see `audit.middleware.ts`). */
export interface AuditDraft extends Omit<AuditNote, 'details'> {
  details: Record<string, unknown>;
  /** Set by `AuditRouteGuard`: the route matched, its path, and whether it is `@Public()` or `@Unaudited()`. */
  route?: { path: string; isPublic: boolean; unaudited: boolean };
  /** Set when a service named the action: a public route is recorded only then. */
  noted: boolean;
  /** The error code of the answer, read from the `ApiError` body. */
  errorCode?: string;
}

const storage = new AsyncLocalStorage<AuditDraft>();

/** Runs `fn` (the rest of a request's handling) with `draft` as the entry services add to. */
export function runWithAuditDraft<T>(draft: AuditDraft, fn: () => T): T {
  return storage.run(draft, fn);
}

/**
 * How services enrich the audit entry of the request they serve. The entry itself is written by
 * the middleware for every change, noted or not; a note only makes it say more (the domain
 * action, the target, before and after). Outside a request (background work) a note is dropped.
 * Never pass secrets: configs are noted as revision numbers and a redacted diff.
 */
@Injectable()
export class AuditTrail {
  note(note: AuditNote): void {
    const draft = storage.getStore();
    if (!draft) return;
    const { details, ...rest } = note;
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) (draft as unknown as Record<string, unknown>)[key] = value;
    }
    if (details) Object.assign(draft.details, details);
    draft.noted = true;
  }
}
