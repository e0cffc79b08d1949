import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ConfigRevisionViewSchema, PutConfigRequestSchema, RollbackRequestSchema, type ConfigRevisionView } from '@edgefleet/protocol';
import { z } from 'zod';
import type { SessionUser } from '../auth/auth.repository.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { openApiSchema } from '../common/http/openapi.js';
import { PaginationQuerySchema, type Pagination } from '../common/http/pagination.js';
import { UuidParamPipe } from '../common/http/uuid-param.pipe.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { ConfigService } from './config.service.js';

type PutConfigRequest = z.output<typeof PutConfigRequestSchema>;
type RollbackRequest = z.output<typeof RollbackRequestSchema>;
const RevisionParamSchema = z.coerce.number().int().min(1);

@ApiTags('config')
@ApiBearerAuth()
@Controller('agents/:id/config')
export class ConfigsController {
  constructor(private readonly configs: ConfigService) {}

  @Get()
  @ApiOkResponse({ schema: openApiSchema(ConfigRevisionViewSchema) })
  desired(@Param('id', UuidParamPipe) id: string): Promise<ConfigRevisionView> {
    return this.configs.desired(id);
  }

  @Put()
  @HttpCode(201)
  @ApiBody({ schema: openApiSchema(PutConfigRequestSchema, 'input') })
  @ApiCreatedResponse({ schema: openApiSchema(ConfigRevisionViewSchema) })
  put(
    @Param('id', UuidParamPipe) id: string,
    @Body(new ZodValidationPipe(PutConfigRequestSchema)) body: PutConfigRequest,
    @CurrentUser() user: SessionUser,
  ): Promise<ConfigRevisionView> {
    return this.configs.put(id, body.document, user.username, body.comment);
  }

  @Get('revisions')
  @ApiOkResponse({ schema: openApiSchema(z.object({ items: z.array(ConfigRevisionViewSchema), total: z.number(), limit: z.number(), offset: z.number() })) })
  list(@Param('id', UuidParamPipe) id: string, @Query(new ZodValidationPipe(PaginationQuerySchema)) page: Pagination) {
    return this.configs.list(id, page);
  }

  @Get('revisions/:revision')
  @ApiOkResponse({ schema: openApiSchema(ConfigRevisionViewSchema) })
  get(@Param('id', UuidParamPipe) id: string, @Param('revision', new ZodValidationPipe(RevisionParamSchema)) revision: number): Promise<ConfigRevisionView> {
    return this.configs.get(id, revision);
  }

  @Post('rollback')
  @ApiBody({ schema: openApiSchema(RollbackRequestSchema, 'input') })
  @ApiCreatedResponse({ schema: openApiSchema(ConfigRevisionViewSchema) })
  rollback(
    @Param('id', UuidParamPipe) id: string,
    @Body(new ZodValidationPipe(RollbackRequestSchema)) body: RollbackRequest,
    @CurrentUser() user: SessionUser,
  ): Promise<ConfigRevisionView> {
    return this.configs.rollback(id, body.revision, user.username, body.comment);
  }
}
