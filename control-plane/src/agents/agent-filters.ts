import { Prisma, type PrismaClient } from '@prisma/client';
import { assertUnreachable, type SyncStatus } from '@edgefleet/protocol';
import type { LabelSelector } from './agent-list-query.js';
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

/** `contains` puts the text between `%`s as it is; escaped, `%` and `_` in a search match themselves. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Agents whose name or hardware id contains `text`, ignoring case (ILIKE). */
export function searchWhere(text: string): Prisma.AgentWhereInput {
  const contains = likeLiteral(text);
  return { OR: [{ name: { contains, mode: 'insensitive' } }, { hardwareId: { contains, mode: 'insensitive' } }] };
}

/**
 * Agents carrying every selected label, in SQL on the `labels` JSON object: `key=value` compares
 * the value at that key, a bare `key` asks for the key to be there (label values are strings, so
 * present means not SQL NULL and not JSON null).
 */
export function labelsWhere(selectors: readonly LabelSelector[]): Prisma.AgentWhereInput {
  return {
    AND: selectors.map(({ key, value }) => ({ labels: value === undefined ? { path: [key], not: Prisma.AnyNull } : { path: [key], equals: value } })),
  };
}
