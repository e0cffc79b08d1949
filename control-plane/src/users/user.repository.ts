import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type Role, type User } from '@prisma/client';
import { PRISMA, type PrismaClient } from '../database/prisma.js';

export type UserRow = Omit<User, 'passwordHash'>;

/** Why a change was not made; the service turns these into error codes. */
export type UserChangeRefusal = 'not-found' | 'last-admin' | 'duplicate';

export interface UserChange {
  role?: Role;
  passwordHash?: string;
}

const VIEW_COLUMNS = { id: true, username: true, role: true, createdAt: true, updatedAt: true } as const;

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

/**
 * Users in PostgreSQL. Changes that could remove an admin run in a transaction that first locks
 * every admin row (`FOR UPDATE`), so two requests demoting or deleting two different admins at
 * once cannot both succeed and leave none: the second waits, then sees the first's result.
 * A password hash never leaves this class.
 */
@Injectable()
export class UserRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  list(): Promise<UserRow[]> {
    return this.prisma.user.findMany({ select: VIEW_COLUMNS, orderBy: { username: 'asc' } });
  }

  async create(username: string, passwordHash: string, role: Role): Promise<UserRow | 'duplicate'> {
    try {
      return await this.prisma.user.create({ data: { username, passwordHash, role }, select: VIEW_COLUMNS });
    } catch (err) {
      if (isUniqueViolation(err)) return 'duplicate';
      throw err;
    }
  }

  /** Applies the change and ends the user's sessions, in one transaction. */
  update(id: string, change: UserChange): Promise<UserRow | UserChangeRefusal> {
    return this.prisma.$transaction(async (tx) => {
      const admins = await this.lockAdmins(tx);
      const current = await tx.user.findUnique({ where: { id }, select: VIEW_COLUMNS });
      if (!current) return 'not-found';
      if (current.role === 'admin' && change.role !== undefined && change.role !== 'admin' && admins.length <= 1) return 'last-admin';
      const updated = await tx.user.update({ where: { id }, data: change, select: VIEW_COLUMNS });
      await tx.session.deleteMany({ where: { userId: id } });
      return updated;
    });
  }

  /** Deletes the user; their sessions go with them (cascade). */
  delete(id: string): Promise<UserRow | UserChangeRefusal> {
    return this.prisma.$transaction(async (tx) => {
      const admins = await this.lockAdmins(tx);
      const current = await tx.user.findUnique({ where: { id }, select: VIEW_COLUMNS });
      if (!current) return 'not-found';
      if (current.role === 'admin' && admins.length <= 1) return 'last-admin';
      await tx.user.delete({ where: { id } });
      return current;
    });
  }

  private async lockAdmins(tx: Prisma.TransactionClient): Promise<string[]> {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "User" WHERE role = 'admin' FOR UPDATE`;
    return rows.map((r) => r.id);
  }
}
