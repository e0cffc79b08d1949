import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import type { AuthenticatedRequest } from '../auth/session.guard.js';
import { runWithAuditDraft, type AuditDraft } from './audit-trail.js';
import { AuditRepository, type NewAuditEntry } from './audit.repository.js';

const DRAFT = Symbol('auditDraft');
type AuditedRequest = AuthenticatedRequest & { [DRAFT]?: AuditDraft };

/** The entry being built for `req`, when the request is audited at all. */
export function auditDraftOf(req: Request): AuditDraft | undefined {
  return (req as AuditedRequest)[DRAFT];
}

/** Codes for answers that carry none in their body (they all do, through `ApiExceptionFilter`). */
function codeOfStatus(status: number): string {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMITED';
  if (status < 500) return 'VALIDATION_FAILED';
  return 'INTERNAL';
}

/**
 * Records every non-GET request to a route as one audit entry, written before the answer's last
 * byte leaves (as express-session saves a session), so a client that has its answer can read the
 * entry. Which route matched is told by `AuditRouteGuard`; services add the domain action, target,
 * before and after through `AuditTrail`. Not recorded: GET/HEAD/OPTIONS, paths no route matched,
 * `@Unaudited()` routes, and public routes no service noted (an enrollment poll that changes
 * nothing, a login refused by the rate limit — recording those would let a flood fill the log).
 */
@Injectable()
export class AuditMiddleware implements NestMiddleware {
  private readonly log: Logger;

  constructor(
    private readonly repo: AuditRepository,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'audit' });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const draft: AuditDraft = { details: {}, noted: false };
    (req as AuditedRequest)[DRAFT] = draft;

    const json = res.json.bind(res);
    res.json = (body?: unknown) => {
      const code = (body as { code?: unknown } | null | undefined)?.code;
      if (res.statusCode >= 400 && typeof code === 'string') draft.errorCode = code;
      return json(body);
    };

    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let ending = false;
    res.end = ((...args: unknown[]) => {
      const entry = ending ? undefined : this.entryOf(req as AuditedRequest, res, draft);
      ending = true;
      if (!entry) return end(...args);
      this.repo
        .append(entry)
        .catch((err: unknown) => this.log.error({ err, action: entry.action }, 'could not write the audit entry'))
        .finally(() => end(...args));
      return res;
    }) as Response['end'];

    runWithAuditDraft(draft, next);
  }

  private entryOf(req: AuditedRequest, res: Response, draft: AuditDraft): NewAuditEntry | undefined {
    const route = draft.route;
    if (!route || route.unaudited) return undefined;
    if (route.isPublic && !draft.noted) return undefined;
    const refused = res.statusCode >= 400;
    return {
      actor: draft.actor !== undefined ? draft.actor : (req.user?.username ?? null),
      actorRole: draft.actorRole !== undefined ? draft.actorRole : (req.user?.role ?? null),
      sourceIp: req.ip ?? null,
      action: draft.action ?? `${req.method} ${route.path}`,
      targetType: draft.targetType ?? null,
      targetId: draft.targetId ?? null,
      outcome: refused ? 'refused' : 'ok',
      errorCode: refused ? (draft.errorCode ?? codeOfStatus(res.statusCode)) : null,
      before: draft.before,
      after: draft.after,
      details: draft.details,
    };
  }
}
