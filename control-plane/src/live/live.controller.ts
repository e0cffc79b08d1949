import { Body, Controller, HttpCode, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CommandRequestSchema, GroupValuesSchema, NameSchema, WriteResultSchema, type GroupValues } from '@edgefleet/protocol';
import { z } from 'zod';
import { openApiSchema } from '../common/http/openapi.js';
import { UuidParamPipe } from '../common/http/uuid-param.pipe.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { CommandService, DEFAULT_COMMAND_TIMEOUT_MS } from '../fleet-broker/command.service.js';

const TimeoutSchema = z.coerce.number().int().min(100).max(60_000).default(DEFAULT_COMMAND_TIMEOUT_MS);
const ReadValuesQuerySchema = z.object({ device: NameSchema.optional(), group: NameSchema.optional(), timeoutMs: TimeoutSchema });
const WriteTagQuerySchema = z.object({ timeoutMs: TimeoutSchema });
/** The body is exactly the `write` command's arguments. */
const WriteTagRequestSchema = CommandRequestSchema.options[3].shape.args;
const ValuesResponseSchema = z.object({ agentId: z.string(), groups: z.array(GroupValuesSchema) });

/** Live access to an agent over the control channel: read the latest values, write a tag. */
@ApiTags('live')
@ApiBearerAuth()
@Controller('agents/:id')
export class LiveController {
  constructor(private readonly commands: CommandService) {}

  @Get('values')
  @ApiQuery({ name: 'device', required: false })
  @ApiQuery({ name: 'group', required: false })
  @ApiQuery({ name: 'timeoutMs', required: false, type: Number })
  @ApiOkResponse({ schema: openApiSchema(ValuesResponseSchema) })
  async values(
    @Param('id', UuidParamPipe) id: string,
    @Query(new ZodValidationPipe(ReadValuesQuerySchema)) q: z.output<typeof ReadValuesQuerySchema>,
  ): Promise<{ agentId: string; groups: GroupValues[] }> {
    const args = { ...(q.device ? { device: q.device } : {}), ...(q.group ? { group: q.group } : {}) };
    const result = await this.commands.send(id, 'read-values', args, q.timeoutMs);
    return { agentId: id, groups: result.groups };
  }

  @Post('tags/write')
  @HttpCode(200)
  @ApiQuery({ name: 'timeoutMs', required: false, type: Number })
  @ApiBody({ schema: openApiSchema(WriteTagRequestSchema, 'input') })
  @ApiOkResponse({ schema: openApiSchema(WriteResultSchema) })
  write(
    @Param('id', UuidParamPipe) id: string,
    @Body(new ZodValidationPipe(WriteTagRequestSchema)) body: z.output<typeof WriteTagRequestSchema>,
    @Query(new ZodValidationPipe(WriteTagQuerySchema)) q: z.output<typeof WriteTagQuerySchema>,
  ) {
    return this.commands.send(id, 'write', body, q.timeoutMs);
  }
}
