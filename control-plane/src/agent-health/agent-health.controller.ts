import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AgentHealthHistorySchema, type AgentHealthHistory } from '@edgefleet/protocol';
import { z } from 'zod';
import { openApiSchema } from '../common/http/openapi.js';
import { MinimumRole } from '../common/http/minimum-role.decorator.js';
import { UuidParamPipe } from '../common/http/uuid-param.pipe.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { AgentHealthService } from './agent-health.service.js';

const HealthQuerySchema = z.object({ minutes: z.coerce.number().int().min(1).max(60).default(60) });

/** An agent's recent health: its heartbeats, downsampled, for trend charts. */
@ApiTags('agents')
@ApiBearerAuth()
@Controller('agents/:id/health')
export class AgentHealthController {
  constructor(private readonly health: AgentHealthService) {}

  @MinimumRole('viewer')
  @Get()
  @ApiOperation({ summary: 'Health samples of the last `minutes` (1–60, default 60), oldest first: at most one per `sampleMs`, taken from the heartbeats as the plane received them.' })
  @ApiQuery({ name: 'minutes', required: false, type: Number })
  @ApiOkResponse({ schema: openApiSchema(AgentHealthHistorySchema) })
  history(@Param('id', UuidParamPipe) id: string, @Query(new ZodValidationPipe(HealthQuerySchema)) query: z.output<typeof HealthQuerySchema>): Promise<AgentHealthHistory> {
    return this.health.history(id, query.minutes);
  }
}
