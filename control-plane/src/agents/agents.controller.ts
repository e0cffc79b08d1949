import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AgentApprovalSchema, AgentSortSchema, AgentViewSchema, SyncStatusSchema, type AgentView } from '@edgefleet/protocol';
import { z } from 'zod';
import type { SessionUser } from '../auth/auth.repository.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { openApiSchema } from '../common/http/openapi.js';
import { MinimumRole } from '../common/http/minimum-role.decorator.js';
import { UuidParamPipe } from '../common/http/uuid-param.pipe.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { ListAgentsQuerySchema, type ListAgentsQuery } from './agent-list-query.js';
import { AgentsService } from './agents.service.js';

@ApiTags('agents')
@ApiBearerAuth()
@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @MinimumRole('viewer')
  @Get()
  @ApiOperation({ summary: 'Agents, filtered and sorted in the database; `total` counts every agent that matches the filters.' })
  @ApiQuery({ name: 'fleetId', required: false })
  @ApiQuery({ name: 'status', required: false, enum: SyncStatusSchema.options })
  @ApiQuery({ name: 'q', required: false, description: 'case-insensitive substring of the name or the hardware id' })
  @ApiQuery({ name: 'label', required: false, isArray: true, type: String, description: 'repeatable: `key=value`, or `key` for agents that have the label at all; every one must match' })
  @ApiQuery({ name: 'sort', required: false, enum: AgentSortSchema.options, description: 'default `name`; `-` for descending; ties by id; `status` lists FAILED, OFFLINE, PENDING, IN_SYNC' })
  @ApiQuery({ name: 'approval', required: false, enum: AgentApprovalSchema.options, description: 'default `approved`: agents waiting for approval (`pending`) or `rejected` are listed only when asked for' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  @ApiOkResponse({ schema: openApiSchema(z.object({ items: z.array(AgentViewSchema), total: z.number(), limit: z.number(), offset: z.number() })) })
  list(@Query(new ZodValidationPipe(ListAgentsQuerySchema)) query: ListAgentsQuery) {
    const { limit, offset, sort, label, ...filter } = query;
    return this.agents.list({ ...filter, ...(label ? { labels: label } : {}) }, sort, { limit, offset });
  }

  @MinimumRole('viewer')
  @Get(':id')
  @ApiOkResponse({ schema: openApiSchema(AgentViewSchema) })
  get(@Param('id', UuidParamPipe) id: string): Promise<AgentView> {
    return this.agents.get(id);
  }

  @MinimumRole('admin')
  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approves an agent waiting for approval: it gets the fleet template as revision 1 now, and its certificate on its next enrollment poll. 409 AGENT_NOT_PENDING when it is not pending.' })
  @ApiOkResponse({ schema: openApiSchema(AgentViewSchema) })
  approve(@Param('id', UuidParamPipe) id: string, @CurrentUser() user: SessionUser): Promise<AgentView> {
    return this.agents.approve(id, user.username);
  }

  @MinimumRole('admin')
  @Post(':id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rejects an agent waiting for approval: its box is refused (403 ENROLLMENT_REJECTED) until the agent is deleted. 409 AGENT_NOT_PENDING when it is not pending.' })
  @ApiOkResponse({ schema: openApiSchema(AgentViewSchema) })
  reject(@Param('id', UuidParamPipe) id: string, @CurrentUser() user: SessionUser): Promise<AgentView> {
    return this.agents.reject(id, user.username);
  }

  @MinimumRole('admin')
  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.agents.delete(id);
  }
}
