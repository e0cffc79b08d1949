import { createHash, randomBytes } from 'node:crypto';

/** A bearer or enrollment token: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Tokens are stored only as their sha256 (hex): a database leak does not hand out sessions or
 * enrollments, and a lookup by hash is an indexed equality match. The tokens carry 256 bits of
 * entropy, so a fast hash is enough (a password needs a slow one).
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
