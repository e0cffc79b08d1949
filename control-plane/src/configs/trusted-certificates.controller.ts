import { Body, Controller, Delete, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CertificateFingerprintSchema, ConfigRevisionViewSchema, NameSchema, type ConfigRevisionView } from '@edgefleet/protocol';
import { z } from 'zod';
import type { SessionUser } from '../auth/auth.repository.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { openApiSchema } from '../common/http/openapi.js';
import { MinimumRole } from '../common/http/minimum-role.decorator.js';
import { UuidParamPipe } from '../common/http/uuid-param.pipe.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { ConfigService } from './config.service.js';
import { withTrustedCertificate } from './trusted-certificates.js';

const TrustRequestSchema = z.object({ fingerprint: CertificateFingerprintSchema }).strict();
const DeviceParamsSchema = z.object({ device: NameSchema });
const FingerprintParamsSchema = z.object({ device: NameSchema, fingerprint: CertificateFingerprintSchema });

/**
 * Trusting an OPC UA server's certificate is a config change: the fingerprint joins the device's
 * `settings.trustedServerCertificates` in a new revision of the agent's desired config (author:
 * the user), validated and published like any other. Both routes are idempotent: when the
 * fingerprint is already (or no longer) trusted no revision is made and the desired one is returned.
 */
@ApiTags('config')
@ApiBearerAuth()
@Controller('agents/:id/devices/:device/trusted-certificates')
export class TrustedCertificatesController {
  constructor(
    private readonly configs: ConfigService,
    private readonly audit: AuditTrail,
  ) {}

  @MinimumRole('operator')
  @Post()
  @ApiOperation({
    summary: "Trusts an OPC UA server certificate for a device (the fingerprint a test-connection reported), in a new config revision",
    description: '201 with the new revision; 200 with the desired one when the fingerprint was already trusted.',
  })
  @ApiParam({ name: 'device', description: 'The name of an OPC UA device in the desired config' })
  @ApiBody({ schema: openApiSchema(TrustRequestSchema, 'input') })
  @ApiCreatedResponse({ schema: openApiSchema(ConfigRevisionViewSchema) })
  @ApiOkResponse({ schema: openApiSchema(ConfigRevisionViewSchema) })
  async trust(
    @Param('id', UuidParamPipe) id: string,
    @Param(new ZodValidationPipe(DeviceParamsSchema)) params: z.output<typeof DeviceParamsSchema>,
    @Body(new ZodValidationPipe(TrustRequestSchema)) body: z.output<typeof TrustRequestSchema>,
    @CurrentUser() user: SessionUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ConfigRevisionView> {
    this.audit.note({ action: 'certificate.trust', targetType: 'agent', targetId: id, details: { device: params.device, fingerprint: body.fingerprint } });
    const { revision, created } = await this.configs.amend(id, user.username, (doc) => withTrustedCertificate(doc, params.device, body.fingerprint, true));
    res.status(created ? 201 : 200);
    return revision;
  }

  @MinimumRole('operator')
  @Delete(':fingerprint')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stops trusting an OPC UA server certificate for a device, in a new config revision',
    description: 'The desired revision, new or (when the fingerprint was not trusted) unchanged.',
  })
  @ApiParam({ name: 'device', description: 'The name of an OPC UA device in the desired config' })
  @ApiParam({ name: 'fingerprint', description: 'SHA-256 fingerprint: 64 hex digits, colons optional' })
  @ApiOkResponse({ schema: openApiSchema(ConfigRevisionViewSchema) })
  async distrust(
    @Param('id', UuidParamPipe) id: string,
    @Param(new ZodValidationPipe(FingerprintParamsSchema)) params: z.output<typeof FingerprintParamsSchema>,
    @CurrentUser() user: SessionUser,
  ): Promise<ConfigRevisionView> {
    this.audit.note({ action: 'certificate.untrust', targetType: 'agent', targetId: id, details: { device: params.device, fingerprint: params.fingerprint } });
    const { revision } = await this.configs.amend(id, user.username, (doc) => withTrustedCertificate(doc, params.device, params.fingerprint, false));
    return revision;
  }
}
