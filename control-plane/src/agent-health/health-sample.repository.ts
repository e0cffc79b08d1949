import { Inject, Injectable } from '@nestjs/common';
import type { AgentHealthSample, Prisma } from '@prisma/client';
import { PRISMA, type PrismaClient } from '../database/prisma.js';

/** What one sample row holds, before it is written. */
export interface NewHealthSample {
  agentId: string;
  at: Date;
  cpuPercent: number;
  rssBytes: number;
  heapUsedBytes: number;
  uptimeSec: number;
  sinks: Prisma.InputJsonArray;
  devices: Prisma.InputJsonArray;
}

@Injectable()
export class HealthSampleRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Inserts the sample unless the agent already has one in the `periodMs` up to its time (written
   * by another replica, say), in one statement. Answers whether it was inserted and the time of
   * the agent's newest sample in that period, inserted or found (null: neither). An unknown agent
   * fails on the foreign key.
   */
  async insertUnlessRecent(s: NewHealthSample, periodMs: number): Promise<{ inserted: boolean; newestAt: Date | null }> {
    const rows = await this.prisma.$queryRaw<{ inserted: Date | null; recent: Date | null }[]>`
      WITH recent AS (
        SELECT max("at") AS at FROM "AgentHealthSample"
        WHERE "agentId" = ${s.agentId}::uuid
          AND "at" > ${s.at}::timestamp - make_interval(secs => ${periodMs}::float8 / 1000)
          AND "at" <= ${s.at}::timestamp
      ), inserted AS (
        INSERT INTO "AgentHealthSample" ("agentId", "at", "cpuPercent", "rssBytes", "heapUsedBytes", "uptimeSec", "sinks", "devices")
        SELECT ${s.agentId}::uuid, ${s.at}::timestamp, ${s.cpuPercent}::float8, ${s.rssBytes}::bigint, ${s.heapUsedBytes}::bigint, ${s.uptimeSec}::float8,
               ${JSON.stringify(s.sinks)}::jsonb, ${JSON.stringify(s.devices)}::jsonb
        WHERE (SELECT at FROM recent) IS NULL
        ON CONFLICT DO NOTHING
        RETURNING "at"
      )
      SELECT (SELECT at FROM inserted) AS inserted, (SELECT at FROM recent) AS recent`;
    const row = rows[0];
    return { inserted: !!row?.inserted, newestAt: row?.inserted ?? row?.recent ?? null };
  }

  /** The agent's samples taken after `since`, oldest first. */
  listSince(agentId: string, since: Date): Promise<AgentHealthSample[]> {
    return this.prisma.agentHealthSample.findMany({ where: { agentId, at: { gt: since } }, orderBy: { at: 'asc' } });
  }

  /** Deletes every sample taken before `before`; answers how many. */
  async deleteBefore(before: Date): Promise<number> {
    const { count } = await this.prisma.agentHealthSample.deleteMany({ where: { at: { lt: before } } });
    return count;
  }
}
