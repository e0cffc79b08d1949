import { Inject, Injectable } from '@nestjs/common';
import type { LoginRequest, LoginResponse } from '@edgefleet/protocol';
import { AuditTrail } from '../audit/audit-trail.js';
import { AppError } from '../common/errors/app-error.js';
import { Clock } from '../common/clock.js';
import { SETTINGS, type Settings } from '../config/settings.js';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { hashToken, newToken } from '../crypto/tokens.js';
import { AuthRepository, type SessionUser } from './auth.repository.js';

export const SESSION_TTL_MS = 12 * 3_600_000;

/** A hash to verify against when the user does not exist, so timing does not reveal user names. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

@Injectable()
export class AuthService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly audit: AuditTrail,
  ) {}

  /** Creates the admin user on a fresh installation. */
  async ensureAdmin(): Promise<void> {
    if ((await this.repo.countUsers()) > 0) return;
    await this.repo.ensureUser(this.settings.adminUsername, await this.hasher.hash(this.settings.adminPassword), 'admin');
  }

  async login(req: LoginRequest): Promise<LoginResponse> {
    const user = await this.repo.findUserByName(req.username);
    const ok = await this.hasher.verify(req.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      // The name tried is a detail, not the actor: nobody was identified.
      this.audit.note({ action: 'auth.login-failed', targetType: 'user', actor: null, actorRole: null, details: { username: req.username } });
      throw new AppError('UNAUTHENTICATED', 'Wrong user name or password');
    }
    this.audit.note({ action: 'auth.login', targetType: 'user', targetId: user.id, actor: user.username, actorRole: user.role });
    const token = newToken();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    await this.repo.createSession(user.id, hashToken(token), expiresAt);
    await this.repo.deleteExpiredSessions(now);
    return { token, expiresAt: expiresAt.toISOString(), user: { username: user.username, role: user.role } };
  }

  async authenticate(token: string): Promise<SessionUser | undefined> {
    return this.repo.findSessionUser(hashToken(token), this.clock.now());
  }

  async logout(token: string): Promise<void> {
    this.audit.note({ action: 'auth.logout' });
    await this.repo.deleteSession(hashToken(token));
  }
}
