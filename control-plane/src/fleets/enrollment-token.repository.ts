import { Inject, Injectable } from '@nestjs/common';
import type { EnrollmentToken, Prisma } from '@prisma/client';
import { PRISMA, type PrismaClient } from '../database/prisma.js';

@Injectable()
export class EnrollmentTokenRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  create(data: Prisma.EnrollmentTokenUncheckedCreateInput): Promise<EnrollmentToken> {
    return this.prisma.enrollmentToken.create({ data });
  }

  listForFleet(fleetId: string): Promise<EnrollmentToken[]> {
    return this.prisma.enrollmentToken.findMany({ where: { fleetId }, orderBy: { createdAt: 'desc' } });
  }
}
