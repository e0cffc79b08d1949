import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type Agent } from '@prisma/client';
import { AGENT_STATUS_SORT_ORDER, assertUnreachable, isNewerState, type AgentApproval, type AgentSort, type StateMessage, type SyncStatus } from '@edgefleet/protocol';
import type { Pagination } from '../common/http/pagination.js';
import { PRISMA, type PrismaClient } from '../database/prisma.js';
import { labelsWhere, searchWhere, syncStatusWhere } from './agent-filters.js';
import type { LabelSelector } from './agent-list-query.js';

export interface AgentFilter {
  /** Only agents in this approval state; every state when absent. */
  approval?: AgentApproval;
  fleetId?: string;
  status?: SyncStatus;
  /** Case-insensitive substring of the name or the hardware id. */
  q?: string;
  /** Every one must match. */
  labels?: LabelSelector[];
}

const BY_NAME: Prisma.AgentOrderByWithRelationInput[] = [{ name: 'asc' }, { id: 'asc' }];

/** Ties go by id in the same direction, so a descending order is the ascending one reversed (never-seen agents aside). */
function orderBy(sort: Exclude<AgentSort, 'status'>): Prisma.AgentOrderByWithRelationInput[] {
  switch (sort) {
    case 'name':
      return BY_NAME;
    case '-name':
      return [{ name: 'desc' }, { id: 'desc' }];
    case 'lastSeenAt':
      return [{ lastSeenAt: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }];
    case '-lastSeenAt':
      return [{ lastSeenAt: { sort: 'desc', nulls: 'last' } }, { id: 'desc' }];
    case 'enrolledAt':
      return [{ enrolledAt: 'asc' }, { id: 'asc' }];
    case '-enrolledAt':
      return [{ enrolledAt: 'desc' }, { id: 'desc' }];
    default:
      return assertUnreachable(sort);
  }
}

@Injectable()
export class AgentRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** Every filter is a condition of its own under AND, so their ORs never meet in one object. */
  private where(filter: AgentFilter): Prisma.AgentWhereInput {
    const all: Prisma.AgentWhereInput[] = [];
    if (filter.approval) all.push({ approval: filter.approval });
    if (filter.fleetId) all.push({ fleetId: filter.fleetId });
    if (filter.status) all.push(syncStatusWhere(filter.status, this.prisma.agent.fields));
    if (filter.q) all.push(searchWhere(filter.q));
    if (filter.labels?.length) all.push(labelsWhere(filter.labels));
    return { AND: all };
  }

  async list(filter: AgentFilter, sort: AgentSort, page: Pagination): Promise<{ items: Agent[]; total: number }> {
    const where = this.where(filter);
    if (sort === 'status') return this.listByStatus(where, page);
    const [items, total] = await this.prisma.$transaction([
      this.prisma.agent.findMany({ where, orderBy: orderBy(sort), take: page.limit, skip: page.offset }),
      this.prisma.agent.count({ where }),
    ]);
    return { items, total };
  }

  /**
   * The sync status is not a column but a condition on several (`syncStatusWhere`), so this order
   * is the statuses' groups one after the other, each by name: count each group, then read the
   * page from the groups it spans. One snapshot (REPEATABLE READ), so counts and rows agree.
   */
  private listByStatus(where: Prisma.AgentWhereInput, page: Pagination): Promise<{ items: Agent[]; total: number }> {
    const groups = AGENT_STATUS_SORT_ORDER.map((status): Prisma.AgentWhereInput => ({ AND: [where, syncStatusWhere(status, this.prisma.agent.fields)] }));
    return this.prisma.$transaction(
      async (tx) => {
        const counts: number[] = [];
        for (const group of groups) counts.push(await tx.agent.count({ where: group }));
        const items: Agent[] = [];
        let skip = page.offset;
        for (const [i, group] of groups.entries()) {
          const take = page.limit - items.length;
          if (take <= 0) break;
          const count = counts[i] ?? 0;
          if (skip >= count) {
            skip -= count;
            continue;
          }
          items.push(...(await tx.agent.findMany({ where: group, orderBy: BY_NAME, skip, take })));
          skip = 0;
        }
        return { items, total: counts.reduce((a, b) => a + b, 0) };
      },
      { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead },
    );
  }

  findById(id: string): Promise<Agent | null> {
    return this.prisma.agent.findUnique({ where: { id } });
  }

  async delete(id: string): Promise<boolean> {
    const { count } = await this.prisma.agent.deleteMany({ where: { id } });
    return count > 0;
  }

  /**
   * Updates an agent from a control-channel message. `updateMany` makes an unknown agent a
   * no-op (count 0) rather than an exception; every update is a plain overwrite, so the same
   * message ingested twice (replicas without shared subscriptions) leaves the same row.
   */
  async update(id: string, data: Prisma.AgentUpdateManyMutationInput): Promise<boolean> {
    const { count } = await this.prisma.agent.updateMany({ where: { id }, data });
    return count > 0;
  }

  /**
   * Writes a reported state unless the row already holds a newer one: replicas sharing a
   * subscription may receive two state messages of one agent and write them in either order.
   * The row is locked while comparing. Answers whether the agent exists.
   */
  async updateState(id: string, incoming: Pick<StateMessage, 'startedAt' | 'at' | 'seq'>, data: Prisma.AgentUpdateManyMutationInput): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ state: unknown }[]>`SELECT "reportedState" AS state FROM "Agent" WHERE "id" = ${id}::uuid FOR UPDATE`;
      const row = rows[0];
      if (!row) return false;
      const held = row.state as Partial<Pick<StateMessage, 'startedAt' | 'at' | 'seq'>> | null;
      const comparable = held?.startedAt !== undefined && held.at !== undefined ? { startedAt: held.startedAt, at: held.at, ...(held.seq !== undefined ? { seq: held.seq } : {}) } : null;
      if (isNewerState(incoming, comparable)) await tx.agent.updateMany({ where: { id }, data });
      return true;
    });
  }

  /**
   * Marks agents offline that have been silent for `silentHeartbeats` of their own heartbeat
   * intervals (at least `minSilentMs`): a broker that restarted without persistence, or a plane
   * that missed a last will, must not leave a dead box shown online. Idempotent, so every
   * replica may run it. Returns how many agents it marked.
   */
  async markSilentOffline(now: Date, silentHeartbeats: number, minSilentMs: number, defaultHeartbeatMs: number): Promise<number> {
    return this.prisma.$executeRaw`
      UPDATE "Agent" SET "online" = false, "updatedAt" = ${now}
      WHERE "online"
        AND COALESCE("lastSeenAt", "enrolledAt") < ${now}::timestamp - make_interval(secs => GREATEST(
          ${minSilentMs}::float8 / 1000,
          ${silentHeartbeats}::float8 * COALESCE(("heartbeat"->>'intervalMs')::float8, ${defaultHeartbeatMs}::float8) / 1000))`;
  }
}
