import { Inject, Injectable } from '@nestjs/common';
import type { Role } from '@prisma/client';
import { PRISMA, type PrismaClient } from '../database/prisma.js';

export interface SessionUser {
  id: string;
  username: string;
  role: Role;
}

/** Users and sessions in PostgreSQL. */
@Injectable()
export class AuthRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  countUsers(): Promise<number> {
    return this.prisma.user.count();
  }

  /** Creates the user unless one with that name exists (two replicas booting together). */
  async ensureUser(username: string, passwordHash: string, role: Role): Promise<void> {
    await this.prisma.user.upsert({ where: { username }, create: { username, passwordHash, role }, update: {} });
  }

  findUserByName(username: string) {
    return this.prisma.user.findUnique({ where: { username } });
  }

  createSession(userId: string, tokenHash: string, expiresAt: Date) {
    return this.prisma.session.create({ data: { userId, tokenHash, expiresAt } });
  }

  async findSessionUser(tokenHash: string, now: Date): Promise<SessionUser | undefined> {
    const session = await this.prisma.session.findUnique({ where: { tokenHash }, include: { user: true } });
    if (!session || session.expiresAt <= now) return undefined;
    return { id: session.user.id, username: session.user.username, role: session.user.role };
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.prisma.session.deleteMany({ where: { tokenHash } });
  }

  async deleteExpiredSessions(now: Date): Promise<void> {
    await this.prisma.session.deleteMany({ where: { expiresAt: { lte: now } } });
  }
}
