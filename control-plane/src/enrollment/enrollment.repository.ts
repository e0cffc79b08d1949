import { Inject, Injectable } from '@nestjs/common';
import type { Agent, AgentApproval, EnrollmentToken, Prisma } from '@prisma/client';
import { PRISMA, type PrismaClient } from '../database/prisma.js';

type Tx = Prisma.TransactionClient;

@Injectable()
export class EnrollmentRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, { timeout: 30_000 });
  }

  findTokenByHash(tokenHash: string): Promise<EnrollmentToken | null> {
    return this.prisma.enrollmentToken.findUnique({ where: { tokenHash } });
  }

  /**
   * The agent of (fleet, hardware id), its row locked for the rest of the transaction: two requests
   * for one box (say the box and another one claiming its hardware id) are decided one after the
   * other, each on the row as the other left it.
   */
  async findAgent(tx: Tx, fleetId: string, hardwareId: string): Promise<Agent | null> {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Agent" WHERE "fleetId" = ${fleetId}::uuid AND "hardwareId" = ${hardwareId} FOR UPDATE`;
    if (locked.length === 0) return null;
    return tx.agent.findUnique({ where: { fleetId_hardwareId: { fleetId, hardwareId } } });
  }

  findAgentById(id: string): Promise<Agent | null> {
    return this.prisma.agent.findUnique({ where: { id } });
  }

  /** An agent the transaction has just updated, so it is there. */
  agentById(tx: Tx, id: string): Promise<Agent> {
    return tx.agent.findUniqueOrThrow({ where: { id } });
  }

  /** Counts one use if any is left: check and increment in one statement, so concurrent enrollments cannot overshoot. */
  async takeUse(tx: Tx, tokenId: string): Promise<boolean> {
    const n = await tx.$executeRaw`UPDATE "EnrollmentToken" SET "uses" = "uses" + 1 WHERE "id" = ${tokenId}::uuid AND ("maxUses" IS NULL OR "uses" < "maxUses")`;
    return n === 1;
  }

  createAgent(tx: Tx, data: Prisma.AgentUncheckedCreateInput) {
    return tx.agent.create({ data });
  }

  updateAgent(tx: Tx, id: string, data: Prisma.AgentUncheckedUpdateInput) {
    return tx.agent.update({ where: { id }, data });
  }

  /**
   * Moves a pending agent to `to` in one conditional statement, so two operators deciding at once
   * cannot both win. Answers whether the agent was pending.
   */
  async decidePending(tx: Tx, id: string, to: Exclude<AgentApproval, 'pending'>): Promise<boolean> {
    const { count } = await tx.agent.updateMany({ where: { id, approval: 'pending' }, data: { approval: to } });
    return count === 1;
  }

  fleetTemplate(tx: Tx, fleetId: string) {
    return tx.fleet.findUniqueOrThrow({ where: { id: fleetId }, select: { template: true } });
  }
}
