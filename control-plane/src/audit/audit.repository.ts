import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type AuditEntry } from '@prisma/client';
import type { AuditOutcome, AuditQuery, Role } from '@edgefleet/protocol';
import { PRISMA, type PrismaClient } from '../database/prisma.js';

export interface NewAuditEntry {
  actor: string | null;
  actorRole: Role | null;
  sourceIp: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: AuditOutcome;
  errorCode: string | null;
  before: unknown;
  after: unknown;
  details: Record<string, unknown>;
}

function json(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return value === undefined || value === null ? Prisma.DbNull : (value as Prisma.InputJsonValue);
}

/** The audit log table: entries are appended and read, never updated nor deleted here. */
@Injectable()
export class AuditRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async append(entry: NewAuditEntry): Promise<void> {
    await this.prisma.auditEntry.create({
      data: {
        ...entry,
        before: json(entry.before),
        after: json(entry.after),
        details: Object.keys(entry.details).length > 0 ? (entry.details as Prisma.InputJsonObject) : Prisma.DbNull,
      },
    });
  }

  async list(query: AuditQuery): Promise<{ items: AuditEntry[]; total: number }> {
    const where: Prisma.AuditEntryWhereInput = {
      ...(query.actor !== undefined ? { actor: query.actor } : {}),
      ...(query.action !== undefined ? { action: { startsWith: query.action } } : {}),
      ...(query.targetType !== undefined ? { targetType: query.targetType } : {}),
      ...(query.targetId !== undefined ? { targetId: query.targetId } : {}),
      ...(query.outcome !== undefined ? { outcome: query.outcome } : {}),
      ...(query.since !== undefined || query.until !== undefined
        ? { at: { ...(query.since !== undefined ? { gte: new Date(query.since) } : {}), ...(query.until !== undefined ? { lt: new Date(query.until) } : {}) } }
        : {}),
    };
    const [items, total] = await this.prisma.$transaction([
      this.prisma.auditEntry.findMany({ where, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: query.limit, skip: query.offset }),
      this.prisma.auditEntry.count({ where }),
    ]);
    return { items, total };
  }
}
