import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  ConfigDiffViewSchema,
  ConfigPreviewDiffRequestSchema,
  ConfigPreviewDiffSchema,
  ConfigRevisionViewSchema,
  PutConfigRequestSchema,
  RollbackRequestSchema,
  type ConfigDiffView,
  type ConfigPreviewDiff,
  type ConfigPreviewDiffRequest,
  type ConfigRevisionView,
} from '@edgefleet/protocol';
import { z } from 'zod';
import type { SessionUser } from '../auth/auth.repository.js';
import { Unaudited } from '../audit/unaudited.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { openApiSchema } from '../common/http/openapi.js';
import { MinimumRole } from '../common/http/minimum-role.decorator.js';
import { PaginationQuerySchema, type Pagination } from '../common/http/pagination.js';
import { UuidParamPipe } from '../common/http/uuid-param.pipe.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { ConfigService } from './config.service.js';

type PutConfigRequest = z.output<typeof PutConfigRequestSchema>;
type RollbackRequest = z.output<typeof RollbackRequestSchema>;
const RevisionParamSchema = z.coerce.number().int().min(1);
const DiffQuerySchema = z.object({ from: z.coerce.number().int().min(1).optional() }).strict();

/** An agent's desired config and its revisions. Every document answered has its secrets redacted (`SECRET_MARKER`). */
@ApiTags('config')
@ApiBearerAuth()
@Controller('agents/:id/config')
export class ConfigsController {
  constructor(private readonly configs: ConfigService) {}

  @MinimumRole('viewer')
  @Get()
  @ApiOkResponse({ schema: openApiSchema(ConfigRevisionViewSchema) })
  desired(@Param('id', UuidParamPipe) id: string): Promise<ConfigRevisionView> {
    return this.configs.desired(id);
  }

  /** A secret sent as `SECRET_MARKER` keeps the one stored at the same field of the desired config. */
  @MinimumRole('operator')
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

  @MinimumRole('viewer')
  @Unaudited()
  @Post('diff')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'What a PUT of `document` would change, compared with revision `from` (default: the applied revision, else the desired one; null when the agent has none). Validated like a PUT; `********` keeps the stored secret. Stores nothing.',
  })
  @ApiBody({ schema: openApiSchema(ConfigPreviewDiffRequestSchema, 'input') })
  @ApiOkResponse({ schema: openApiSchema(ConfigPreviewDiffSchema) })
  previewDiff(@Param('id', UuidParamPipe) id: string, @Body(new ZodValidationPipe(ConfigPreviewDiffRequestSchema)) body: ConfigPreviewDiffRequest): Promise<ConfigPreviewDiff> {
    return this.configs.previewDiff(id, body.document, body.from);
  }

  @MinimumRole('viewer')
  @Get('revisions')
  @ApiOkResponse({ schema: openApiSchema(z.object({ items: z.array(ConfigRevisionViewSchema), total: z.number(), limit: z.number(), offset: z.number() })) })
  list(@Param('id', UuidParamPipe) id: string, @Query(new ZodValidationPipe(PaginationQuerySchema)) page: Pagination) {
    return this.configs.list(id, page);
  }

  @MinimumRole('viewer')
  @Get('revisions/:revision')
  @ApiOkResponse({ schema: openApiSchema(ConfigRevisionViewSchema) })
  get(@Param('id', UuidParamPipe) id: string, @Param('revision', new ZodValidationPipe(RevisionParamSchema)) revision: number): Promise<ConfigRevisionView> {
    return this.configs.get(id, revision);
  }

  @MinimumRole('viewer')
  @Get('revisions/:revision/diff')
  @ApiOperation({ summary: 'What changed in a revision: from revision `from` (default: the one before) to this one. A changed secret is listed with `secret: true`, its value redacted.' })
  @ApiQuery({ name: 'from', required: false, type: Number })
  @ApiOkResponse({ schema: openApiSchema(ConfigDiffViewSchema) })
  diff(
    @Param('id', UuidParamPipe) id: string,
    @Param('revision', new ZodValidationPipe(RevisionParamSchema)) revision: number,
    @Query(new ZodValidationPipe(DiffQuerySchema)) query: z.output<typeof DiffQuerySchema>,
  ): Promise<ConfigDiffView> {
    return this.configs.diff(id, revision, query.from);
  }

  @MinimumRole('operator')
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
