import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CreateEnrollmentTokenRequestSchema,
  EnrollmentTokenCreatedSchema,
  EnrollmentTokenViewSchema,
  FleetViewSchema,
  PutConfigRequestSchema,
  type CreateEnrollmentTokenRequest,
  type EnrollmentTokenCreated,
  type EnrollmentTokenView,
} from '@edgefleet/protocol';
import { z } from 'zod';
import type { SessionUser } from '../auth/auth.repository.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { openApiSchema } from '../common/http/openapi.js';
import { MinimumRole } from '../common/http/minimum-role.decorator.js';
import { UuidParamPipe } from '../common/http/uuid-param.pipe.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { ConfigService } from '../configs/config.service.js';
import { FleetsService } from './fleets.service.js';
import type { FleetView } from './fleet-view.js';

type PutConfigRequest = z.output<typeof PutConfigRequestSchema>;

@ApiTags('fleets')
@ApiBearerAuth()
@Controller('fleets')
export class FleetsController {
  constructor(
    private readonly fleets: FleetsService,
    private readonly configs: ConfigService,
  ) {}

  @MinimumRole('viewer')
  @Get()
  @ApiOkResponse({ schema: openApiSchema(z.array(FleetViewSchema)) })
  list(): Promise<FleetView[]> {
    return this.fleets.list();
  }

  @MinimumRole('viewer')
  @Get(':id')
  @ApiOkResponse({ schema: openApiSchema(FleetViewSchema) })
  get(@Param('id', UuidParamPipe) id: string): Promise<FleetView> {
    return this.fleets.get(id);
  }

  @MinimumRole('admin')
  @Post(':id/enrollment-tokens')
  @ApiBody({ schema: openApiSchema(CreateEnrollmentTokenRequestSchema, 'input') })
  @ApiCreatedResponse({ schema: openApiSchema(EnrollmentTokenCreatedSchema) })
  createToken(
    @Param('id', UuidParamPipe) id: string,
    @Body(new ZodValidationPipe(CreateEnrollmentTokenRequestSchema)) body: CreateEnrollmentTokenRequest,
    @CurrentUser() user: SessionUser,
  ): Promise<EnrollmentTokenCreated> {
    return this.fleets.createEnrollmentToken(id, body, user.username);
  }

  /** Lists tokens without the tokens themselves (only their hashes are stored). */
  @MinimumRole('admin')
  @Get(':id/enrollment-tokens')
  @ApiOkResponse({ schema: openApiSchema(z.array(EnrollmentTokenViewSchema)) })
  listTokens(@Param('id', UuidParamPipe) id: string): Promise<EnrollmentTokenView[]> {
    return this.fleets.listEnrollmentTokens(id);
  }

  @MinimumRole('admin')
  @Delete(':id/enrollment-tokens/:tokenId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revokes an enrollment token: enrolling with it is refused from then on (401 TOKEN_INVALID). Agents it enrolled are not affected. Revoking again is a no-op.' })
  @ApiNoContentResponse()
  async revokeToken(@Param('id', UuidParamPipe) id: string, @Param('tokenId', UuidParamPipe) tokenId: string): Promise<void> {
    await this.fleets.revokeEnrollmentToken(id, tokenId);
  }

  /**
   * Replaces the fleet's template and rolls it out as a new revision to every agent of the fleet.
   * A secret sent as `SECRET_MARKER` keeps the one stored at the same field of the template.
   */
  @MinimumRole('admin')
  @Put(':id/config')
  @ApiBody({ schema: openApiSchema(PutConfigRequestSchema, 'input') })
  @ApiOkResponse({ schema: openApiSchema(z.object({ agents: z.number(), revisions: z.array(z.object({ agentId: z.string(), revision: z.number() })) })) })
  putConfig(
    @Param('id', UuidParamPipe) id: string,
    @Body(new ZodValidationPipe(PutConfigRequestSchema)) body: PutConfigRequest,
    @CurrentUser() user: SessionUser,
  ) {
    return this.configs.putFleet(id, body.document, user.username, body.comment);
  }
}
