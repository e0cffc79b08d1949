import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { declaredAccess } from '../auth/route-access.js';
import { auditDraftOf } from './audit.middleware.js';
import { UNAUDITED } from './unaudited.decorator.js';

/**
 * The first global guard. Refuses nothing: it tells the request's audit entry which route
 * matched, while the handler is known, so that a request refused by a later guard (rate limit,
 * session, role) is still recorded against its route.
 */
@Injectable()
export class AuditRouteGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const draft = auditDraftOf(req);
    if (!draft) return true;
    const handler = context.getHandler();
    const route = (req as Request & { route?: { path?: unknown } }).route;
    draft.route = {
      path: typeof route?.path === 'string' ? route.path : req.path,
      isPublic: declaredAccess(handler, context.getClass()).kind === 'public',
      unaudited: Reflect.getMetadata(UNAUDITED, handler) === true,
    };
    return true;
  }
}
