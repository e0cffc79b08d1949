import { Injectable, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Response } from 'express';

/** The routes with a limit, and what each protects. */
export type RateLimitName = 'login' | 'enrollment';

const RATE_LIMIT = 'edgefleet:rate-limit';

/**
 * Limits the requests one client address may make to this route per minute (429 with
 * `Retry-After` beyond it). Login and enrollment are the routes a guesser of passwords or
 * enrollment tokens would hammer.
 */
export const RateLimit = (name: RateLimitName): MethodDecorator => SetMetadata(RATE_LIMIT, name);

export interface RateLimits {
  /** Sign-in attempts per client address per minute. */
  loginPerMinute: number;
  /** Enrollment requests (polls of boxes waiting for approval included) per client address per minute. */
  enrollmentsPerMinute: number;
}

const WORDS: Record<RateLimitName, string> = { login: 'sign-in attempts', enrollment: 'enrollment requests' };

/**
 * The throttlers, one per limited route kind, each applied only where `@RateLimit` names it.
 * Counters live in this replica's memory: with N replicas behind a balancer a client gets up to
 * N times the limit, which still stops guessing at any useful speed.
 */
export function rateLimitOptions(limits: RateLimits): ThrottlerModuleOptions {
  const only = (name: RateLimitName) => (context: ExecutionContext) => Reflect.getMetadata(RATE_LIMIT, context.getHandler()) !== name;
  return [
    { name: 'login', ttl: 60_000, limit: limits.loginPerMinute, skipIf: only('login') },
    { name: 'enrollment', ttl: 60_000, limit: limits.enrollmentsPerMinute, skipIf: only('enrollment') },
  ];
}

/** The throttler guard, answering in the API's words with a standard `Retry-After` (seconds). */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const name = Reflect.getMetadata(RATE_LIMIT, context.getHandler()) as RateLimitName | undefined;
    const wait = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(wait));
    throw new ThrottlerException(`Too many ${name ? WORDS[name] : 'requests'} from this address (at most ${detail.limit} a minute); try again in ${wait} s`);
  }
}
