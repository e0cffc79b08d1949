import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppError } from '../common/errors/app-error.js';
import { IS_PUBLIC } from '../common/http/public.decorator.js';
import type { SessionUser } from './auth.repository.js';
import { AuthService } from './auth.service.js';

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

/** The global guard: every route needs a live session unless it is marked `@Public()`. */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(req);
    if (!token) throw new AppError('UNAUTHENTICATED');
    const user = await this.auth.authenticate(token);
    if (!user) throw new AppError('UNAUTHENTICATED', 'The session is unknown or has expired');
    req.user = user;
    req.sessionToken = token;
    return true;
  }
}
