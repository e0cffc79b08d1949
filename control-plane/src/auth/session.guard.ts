import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../common/errors/app-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import type { SessionUser } from './auth.repository.js';
import { AuthService } from './auth.service.js';
import { forbiddenMessage, roleAllows } from './roles.js';
import { declaredAccess } from './route-access.js';

export interface AuthenticatedRequest extends Request {
  user?: SessionUser;
  sessionToken?: string;
}

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+([A-Za-z0-9_-]{16,256})$/.exec(header);
  return m?.[1];
}

/**
 * The global guard. A `@Public()` route passes. Any other route needs a live session (401
 * UNAUTHENTICATED) and a role at least the one its `@MinimumRole()` names (403 FORBIDDEN, naming
 * both roles). Guards run before pipes, so a refused request is never validated nor acted on.
 * A route that declares neither (or both) is refused with 500 and an error in the log: failing
 * closed, since a forgotten declaration must not become "any signed-in user".
 */
@Injectable()
export class SessionGuard implements CanActivate {
  private readonly log: Logger;

  constructor(
    private readonly auth: AuthService,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'access' });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const controller = context.getClass();
    const handler = context.getHandler();
    const access = declaredAccess(handler, controller);
    if (access.kind === 'public') return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(req);
    if (!token) throw new AppError('UNAUTHENTICATED');
    const user = await this.auth.authenticate(token);
    if (!user) throw new AppError('UNAUTHENTICATED', 'The session is unknown or has expired');
    if (access.kind !== 'role') {
      this.log.error({ route: `${controller.name}.${handler.name}`, access: access.kind }, 'route refused: it must carry exactly one of @Public() and @MinimumRole()');
      throw new AppError('INTERNAL');
    }
    // Set before the role check, so the audit log names who was refused.
    req.user = user;
    req.sessionToken = token;
    if (!roleAllows(user.role, access.role)) throw new AppError('FORBIDDEN', forbiddenMessage(user.role, access.role));
    return true;
  }
}
