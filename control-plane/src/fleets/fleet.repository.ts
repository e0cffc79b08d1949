import { Inject, Injectable } from '@nestjs/common';
import type { Prisma } from '@prisma/client';
import { PRISMA, type PrismaClient } from '../database/prisma.js';

@Injectable()
export class FleetRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** Inserts the fleet unless it exists (replicas booting together), then returns it. */
  async ensure(name: string, description: string, template: Prisma.InputJsonValue) {
    return this.prisma.fleet.upsert({ where: { name }, create: { name, description, template }, update: {} });
  }

  list() {
    return this.prisma.fleet.findMany({ orderBy: { name: 'asc' }, include: { _count: { select: { agents: true } } } });
  }

  findById(id: string) {
    return this.prisma.fleet.findUnique({ where: { id }, include: { _count: { select: { agents: true } } } });
  }
}
