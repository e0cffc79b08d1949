import type { Prisma, PrismaClient } from '@prisma/client';
import { assertUnreachable, type SyncStatus } from '@edgefleet/protocol';
import { FAILED_STATUSES } from './sync-status.js';

type Fields = PrismaClient['agent']['fields'];

/**
 * The SQL twin of `syncStatus()`, so `?status=` filters and paginates in the database. Every
 * negation is spelled out with its NULL case, because `NOT (NULL = x)` is NULL in SQL, and
 * `<>` as `<` or `>` because Prisma's `not` takes no column reference.
 */
export function syncStatusWhere(status: SyncStatus, f: Fields): Prisma.AgentWhereInput {
  const inSync: Prisma.AgentWhereInput = { OR: [{ desiredRevision: 0 }, { appliedRevision: { equals: f.desiredRevision } }] };
  const notInSync: Prisma.AgentWhereInput = {
    desiredRevision: { not: 0 },
    OR: [{ appliedRevision: null }, { appliedRevision: { lt: f.desiredRevision } }, { appliedRevision: { gt: f.desiredRevision } }],
  };
  const failed: Prisma.AgentWhereInput = { reportedRevision: { equals: f.desiredRevision }, reportedStatus: { in: FAILED_STATUSES } };
  const notFailed: Prisma.AgentWhereInput = {
    OR: [
      { reportedRevision: null },
      { reportedRevision: { lt: f.desiredRevision } },
      { reportedRevision: { gt: f.desiredRevision } },
      { reportedStatus: null },
      { reportedStatus: { notIn: FAILED_STATUSES } },
    ],
  };
  switch (status) {
    case 'OFFLINE':
      return { online: false };
    case 'IN_SYNC':
      return { online: true, ...inSync };
    case 'FAILED':
      return { online: true, AND: [notInSync, failed] };
    case 'PENDING':
      return { online: true, AND: [notInSync, notFailed] };
    default:
      return assertUnreachable(status);
  }
}
