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

  /**
   * Revokes a token of the fleet. A token already revoked keeps its first `revokedAt`. Answers
   * whether the fleet has such a token.
   */
  async revoke(fleetId: string, tokenId: string, at: Date): Promise<boolean> {
    const { count } = await this.prisma.enrollmentToken.updateMany({ where: { id: tokenId, fleetId, revokedAt: null }, data: { revokedAt: at } });
    return count > 0 || (await this.prisma.enrollmentToken.count({ where: { id: tokenId, fleetId } })) > 0;
  }
}
