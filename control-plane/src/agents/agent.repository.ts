import { Inject, Injectable } from '@nestjs/common';
import type { Agent, Prisma } from '@prisma/client';
import { isNewerState, type StateMessage, type SyncStatus } from '@edgefleet/protocol';
import type { Pagination } from '../common/http/pagination.js';
import { PRISMA, type PrismaClient } from '../database/prisma.js';
import { syncStatusWhere } from './agent-filters.js';

export interface AgentFilter {
  fleetId?: string;
  status?: SyncStatus;
}

@Injectable()
export class AgentRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  private where(filter: AgentFilter): Prisma.AgentWhereInput {
    return {
      ...(filter.fleetId ? { fleetId: filter.fleetId } : {}),
      ...(filter.status ? syncStatusWhere(filter.status, this.prisma.agent.fields) : {}),
    };
  }

  async list(filter: AgentFilter, page: Pagination): Promise<{ items: Agent[]; total: number }> {
    const where = this.where(filter);
    const [items, total] = await this.prisma.$transaction([
      this.prisma.agent.findMany({ where, orderBy: [{ enrolledAt: 'asc' }, { id: 'asc' }], take: page.limit, skip: page.offset }),
      this.prisma.agent.count({ where }),
    ]);
    return { items, total };
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
