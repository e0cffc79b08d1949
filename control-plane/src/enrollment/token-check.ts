import type { ErrorCode } from '@edgefleet/protocol';

export interface TokenState {
  expiresAt: Date;
  revokedAt: Date | null;
  maxUses: number | null;
  uses: number;
}

/**
 * Why a token cannot admit a new agent, or undefined when it can. Unknown and revoked tokens look
 * the same to the caller (TOKEN_INVALID), so a revoked token reveals nothing more than a guess.
 * The use limit is checked again atomically when the use is counted; this is the early answer.
 */
export function tokenProblem(token: TokenState | null, now: Date, admitsNewAgent: boolean): ErrorCode | undefined {
  if (!token || token.revokedAt) return 'TOKEN_INVALID';
  if (token.expiresAt.getTime() <= now.getTime()) return 'TOKEN_EXPIRED';
  if (admitsNewAgent && token.maxUses !== null && token.uses >= token.maxUses) return 'TOKEN_EXHAUSTED';
  return undefined;
}
