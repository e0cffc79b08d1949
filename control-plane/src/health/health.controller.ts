import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../common/http/public.decorator.js';
import { PRISMA, type PrismaClient } from '../database/prisma.js';
import { FleetBrokerService } from '../fleet-broker/fleet-broker.service.js';

export interface Health {
  status: 'ok';
  database: 'up' | 'down';
  broker: 'connected' | 'disconnected';
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly broker: FleetBrokerService,
  ) {}

  /** Liveness with its dependencies: the process answers even when PostgreSQL or the broker is away. */
  @Public()
  @Get()
  async health(): Promise<Health> {
    let database: Health['database'] = 'up';
    try {
      await this.prisma.$queryRaw`SELECT 1`;
    } catch {
      database = 'down';
    }
    return { status: 'ok', database, broker: this.broker.connected ? 'connected' : 'disconnected' };
  }
}
