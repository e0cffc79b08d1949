import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuditOutcomeSchema, AuditPageSchema, AuditQuerySchema, type AuditPage, type AuditQuery } from '@edgefleet/protocol';
import { openApiSchema } from '../common/http/openapi.js';
import { MinimumRole } from '../common/http/minimum-role.decorator.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { AuditService } from './audit.service.js';

/** The audit log: admins only, since it shows who did what from which address. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @MinimumRole('admin')
  @Get()
  @ApiOperation({ summary: 'Audit entries, newest first. `action` matches a prefix (`config.` finds `config.put` and `config.rollback`); `since` is inclusive, `until` exclusive.' })
  @ApiQuery({ name: 'actor', required: false })
  @ApiQuery({ name: 'action', required: false })
  @ApiQuery({ name: 'targetType', required: false })
  @ApiQuery({ name: 'targetId', required: false })
  @ApiQuery({ name: 'since', required: false, description: 'ISO time' })
  @ApiQuery({ name: 'until', required: false, description: 'ISO time' })
  @ApiQuery({ name: 'outcome', required: false, enum: AuditOutcomeSchema.options })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  @ApiOkResponse({ schema: openApiSchema(AuditPageSchema) })
  list(@Query(new ZodValidationPipe(AuditQuerySchema)) query: AuditQuery): Promise<AuditPage> {
    return this.audit.list(query);
  }
}
