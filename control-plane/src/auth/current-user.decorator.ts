import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import type { SessionUser } from './auth.repository.js';
import type { AuthenticatedRequest } from './session.guard.js';

/** The user the session guard authenticated. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): SessionUser => {
  const user = ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) throw new AppError('UNAUTHENTICATED');
  return user;
});
