import { Writable } from 'node:stream';
import type { ExecutionContext } from '@nestjs/common';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AppError } from '../common/errors/app-error.js';
import { MinimumRole } from '../common/http/minimum-role.decorator.js';
import { Public } from '../common/http/public.decorator.js';
import type { SessionUser } from './auth.repository.js';
import type { AuthService } from './auth.service.js';
import { SessionGuard, type AuthenticatedRequest } from './session.guard.js';

class RoutesController {
  @Public()
  open(): void {}

  @MinimumRole('operator')
  change(): void {}

  forgotten(): void {}
}

const TOKEN = 'a'.repeat(43);

function setup(user: SessionUser | undefined) {
  const lines: string[] = [];
  const logger = pino({ level: 'error' }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
  const auth: Pick<AuthService, 'authenticate'> = { authenticate: (token) => Promise.resolve(token === TOKEN ? user : undefined) };
  const guard = new SessionGuard(auth as AuthService, logger);
  const run = (handler: keyof RoutesController, authorization?: string) => {
    const req = { headers: authorization ? { authorization } : {} } as AuthenticatedRequest;
    const context = {
      getClass: () => RoutesController,
      getHandler: () => RoutesController.prototype[handler],
      switchToHttp: () => ({ getRequest: () => req }),
    } as unknown as ExecutionContext;
    return { req, result: guard.canActivate(context) };
  };
  return { run, lines };
}

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return { code: err.code, message: err.message };
}

describe('SessionGuard', () => {
  const viewer: SessionUser = { id: 'u1', username: 'vic', role: 'viewer' };
  const operator: SessionUser = { id: 'u2', username: 'ola', role: 'operator' };

  it('lets public routes through without a session', async () => {
    await expect(setup(undefined).run('open').result).resolves.toBe(true);
  });

  it('answers UNAUTHENTICATED without a live session', async () => {
    expect(await codeOf(setup(viewer).run('change').result)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await codeOf(setup(undefined).run('change', `Bearer ${TOKEN}`).result)).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('answers FORBIDDEN naming the role needed and the role held', async () => {
    expect(await codeOf(setup(viewer).run('change', `Bearer ${TOKEN}`).result)).toEqual({ code: 'FORBIDDEN', message: 'This needs the operator role; you are a viewer' });
  });

  it('lets a user at or above the role through and attaches them to the request', async () => {
    const { req, result } = setup(operator).run('change', `Bearer ${TOKEN}`);
    await expect(result).resolves.toBe(true);
    expect(req.user).toEqual(operator);
  });

  it('refuses a route that declares no access, logging which one', async () => {
    const { run, lines } = setup({ id: 'u3', username: 'root', role: 'admin' });
    expect(await codeOf(run('forgotten', `Bearer ${TOKEN}`).result)).toMatchObject({ code: 'INTERNAL' });
    expect(lines.join('')).toContain('RoutesController.forgotten');
  });
});
