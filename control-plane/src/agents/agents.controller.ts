import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AgentViewSchema, SyncStatusSchema, type AgentView } from '@edgefleet/protocol';
import { z } from 'zod';
import { openApiSchema } from '../common/http/openapi.js';
import { PaginationQuerySchema } from '../common/http/pagination.js';
import { UuidParamPipe } from '../common/http/uuid-param.pipe.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { AgentsService } from './agents.service.js';

const ListAgentsQuerySchema = PaginationQuerySchema.extend({
  fleetId: z.uuid().optional(),
  status: SyncStatusSchema.optional(),
});
type ListAgentsQuery = z.output<typeof ListAgentsQuerySchema>;

@ApiTags('agents')
@ApiBearerAuth()
@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Get()
  @ApiQuery({ name: 'fleetId', required: false })
  @ApiQuery({ name: 'status', required: false, enum: SyncStatusSchema.options })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  @ApiOkResponse({ schema: openApiSchema(z.object({ items: z.array(AgentViewSchema), total: z.number(), limit: z.number(), offset: z.number() })) })
  list(@Query(new ZodValidationPipe(ListAgentsQuerySchema)) q: ListAgentsQuery) {
    const { limit, offset, ...filter } = q;
    return this.agents.list(filter, { limit, offset });
  }

  @Get(':id')
  @ApiOkResponse({ schema: openApiSchema(AgentViewSchema) })
  get(@Param('id', UuidParamPipe) id: string): Promise<AgentView> {
    return this.agents.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.agents.delete(id);
  }
}
