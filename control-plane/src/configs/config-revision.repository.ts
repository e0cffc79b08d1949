import { Inject, Injectable } from '@nestjs/common';
import type { ConfigRevision, Prisma } from '@prisma/client';
import { AppError } from '../common/errors/app-error.js';
import type { Pagination } from '../common/http/pagination.js';
import { PRISMA, type PrismaClient } from '../database/prisma.js';
import { nextRevision } from './revision-numbering.js';

export interface NewRevision {
  document: Prisma.InputJsonValue;
  sha256: string;
  author: string;
  comment?: string | null;
  rollbackOf?: number | null;
}

/** A revision row and what a config message needs. */
export type DesiredConfig = Pick<ConfigRevision, 'agentId' | 'revision' | 'sha256' | 'document' | 'createdAt'>;

type Tx = Prisma.TransactionClient;

@Injectable()
export class ConfigRevisionRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Appends a revision for one agent. `SELECT … FOR UPDATE` locks the agent row for the rest of
   * the transaction, so concurrent writers queue and get consecutive numbers. An agent that is
   * not approved gets no config: its first one is the fleet template, made when it is approved.
   */
  async append(agentId: string, rev: NewRevision, tx?: Tx): Promise<ConfigRevision> {
    if (!tx) return this.prisma.$transaction((inner) => this.append(agentId, rev, inner));
    const rows = await tx.$queryRaw<{ desiredRevision: number; approval: string }[]>`SELECT "desiredRevision", "approval"::text AS "approval" FROM "Agent" WHERE "id" = ${agentId}::uuid FOR UPDATE`;
    const row = rows[0];
    if (!row) throw new AppError('NOT_FOUND', `No agent ${agentId}`);
    if (row.approval !== 'approved') throw new AppError('CONFLICT', `Agent ${agentId} is ${row.approval === 'pending' ? 'waiting for approval' : 'rejected'}; it gets a config once an operator approves it`);
    const revision = nextRevision(row.desiredRevision);
    await tx.agent.update({ where: { id: agentId }, data: { desiredRevision: revision } });
    return tx.configRevision.create({
      data: { agentId, revision, document: rev.document, sha256: rev.sha256, author: rev.author, comment: rev.comment ?? null, rollbackOf: rev.rollbackOf ?? null },
    });
  }

  /**
   * Appends a revision made from the desired one by `edit`, reading it under the agent row's lock
   * so that two edits at once (two certificates trusted together) both land rather than one
   * overwriting the other. When `edit` returns null nothing changes and the desired revision is
   * returned as it is.
   */
  async amend(agentId: string, edit: (desired: ConfigRevision | null) => NewRevision | null): Promise<{ row: ConfigRevision; created: boolean }> {
    return this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Agent" WHERE "id" = ${agentId}::uuid FOR UPDATE`;
      if (locked.length === 0) throw new AppError('NOT_FOUND', `No agent ${agentId}`);
      const desired = await tx.configRevision.findFirst({ where: { agentId }, orderBy: { revision: 'desc' } });
      const next = edit(desired);
      if (next === null) {
        if (!desired) throw new AppError('NOT_FOUND', `Agent ${agentId} has no config`);
        return { row: desired, created: false };
      }
      return { row: await this.append(agentId, next, tx), created: true };
    });
  }

  /**
   * Stores a fleet's template and appends the same revision to every approved agent of the fleet in one
   * statement: the UPDATE takes each agent row's lock and bumps its counter, the INSERT reads the
   * bumped numbers. One round trip whether the fleet has 1 or 10,000 agents. `make` gets the
   * current template, read under the fleet row's lock (a new template may keep its secrets), and
   * returns the template and the revision to store.
   */
  async appendForFleet(fleetId: string, make: (template: Prisma.JsonValue) => { template: Prisma.InputJsonValue; revision: NewRevision }): Promise<DesiredConfig[]> {
    return this.prisma.$transaction(async (tx) => {
      // NO KEY UPDATE: the lock the UPDATE below takes anyway; enrollments (which only reference the fleet) are not held up.
      const fleets = await tx.$queryRaw<{ template: Prisma.JsonValue }[]>`SELECT "template" FROM "Fleet" WHERE "id" = ${fleetId}::uuid FOR NO KEY UPDATE`;
      const fleet = fleets[0];
      if (!fleet) throw new AppError('NOT_FOUND', `No fleet ${fleetId}`);
      const { template, revision: rev } = make(fleet.template);
      await tx.fleet.update({ where: { id: fleetId }, data: { template } });
      const json = JSON.stringify(rev.document);
      return tx.$queryRaw<DesiredConfig[]>`
        WITH bumped AS (
          UPDATE "Agent" SET "desiredRevision" = "desiredRevision" + 1, "updatedAt" = now()
          WHERE "fleetId" = ${fleetId}::uuid AND "approval" = 'approved'
          RETURNING "id", "desiredRevision"
        )
        INSERT INTO "ConfigRevision" ("id", "agentId", "revision", "document", "sha256", "author", "comment", "createdAt")
        SELECT gen_random_uuid(), b."id", b."desiredRevision", ${json}::jsonb, ${rev.sha256}, ${rev.author}, ${rev.comment ?? null}, now()
        FROM bumped b
        RETURNING "agentId", "revision", "sha256", "document", "createdAt"`;
    });
  }

  /** The agent's desired (0 = none) and applied revision numbers, or null for an unknown agent. */
  revisionNumbers(agentId: string): Promise<{ desiredRevision: number; appliedRevision: number | null } | null> {
    return this.prisma.agent.findUnique({ where: { id: agentId }, select: { desiredRevision: true, appliedRevision: true } });
  }

  /** The newest revision of an agent (its desired config), or null when it has none. */
  async desired(agentId: string): Promise<ConfigRevision | null> {
    return this.prisma.configRevision.findFirst({ where: { agentId }, orderBy: { revision: 'desc' } });
  }

  find(agentId: string, revision: number): Promise<ConfigRevision | null> {
    return this.prisma.configRevision.findUnique({ where: { agentId_revision: { agentId, revision } } });
  }

  async list(agentId: string, page: Pagination): Promise<{ items: ConfigRevision[]; total: number }> {
    const [items, total] = await this.prisma.$transaction([
      this.prisma.configRevision.findMany({ where: { agentId }, orderBy: { revision: 'desc' }, take: page.limit, skip: page.offset }),
      this.prisma.configRevision.count({ where: { agentId } }),
    ]);
    return { items, total };
  }

  /** One page of every agent's desired config, in agent id order (keyset pagination). */
  pageDesired(afterAgentId: string | null, limit: number): Promise<DesiredConfig[]> {
    const after = afterAgentId ?? '00000000-0000-0000-0000-000000000000';
    return this.prisma.$queryRaw<DesiredConfig[]>`
      SELECT r."agentId", r."revision", r."sha256", r."document", r."createdAt"
      FROM "Agent" a JOIN "ConfigRevision" r ON r."agentId" = a."id" AND r."revision" = a."desiredRevision"
      WHERE a."id" > ${after}::uuid
      ORDER BY a."id"
      LIMIT ${limit}`;
  }
}
