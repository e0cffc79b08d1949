import { Body, Controller, HttpCode, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  BrowseArgsSchema,
  BrowseResultSchema,
  GroupValuesSchema,
  NameSchema,
  ReadArgsSchema,
  ReadResultSchema,
  TestConnectionArgsSchema,
  TestConnectionResultSchema,
  WriteArgsSchema,
  WriteResultSchema,
  type CommandResult,
  type GroupValues,
} from '@edgefleet/protocol';
import { z } from 'zod';
import { AuditTrail } from '../audit/audit-trail.js';
import { openApiSchema } from '../common/http/openapi.js';
import { MinimumRole } from '../common/http/minimum-role.decorator.js';
import { UuidParamPipe } from '../common/http/uuid-param.pipe.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { ConfigService } from '../configs/config.service.js';
import { CommandService } from '../fleet-broker/command.service.js';
import { timeoutMsQuery, timeoutMsSchema } from './command-timeouts.js';

const ReadValuesQuerySchema = z.object({ device: NameSchema.optional(), group: NameSchema.optional(), timeoutMs: timeoutMsSchema('read-values') });
const ReadQuerySchema = z.object({ timeoutMs: timeoutMsSchema('read') });
const WriteQuerySchema = z.object({ timeoutMs: timeoutMsSchema('write') });
const BrowseQuerySchema = z.object({ timeoutMs: timeoutMsSchema('browse') });
const TestConnectionQuerySchema = z.object({ timeoutMs: timeoutMsSchema('test-connection') });
const ValuesResponseSchema = z.object({ agentId: z.string(), groups: z.array(GroupValuesSchema) });

/**
 * Live access to an agent over the control channel. Each route's body is exactly its command's
 * arguments, validated with the protocol's schema (400 naming each field); the agent checks them
 * again. A device given in full (test-connection, browse) may carry `********` at a secret, as
 * the API shows configs: it takes the secret of the saved device of that name. Offline agent: 409 AGENT_OFFLINE at once; no answer in time: 504 AGENT_TIMEOUT; what the
 * agent answers with is mapped like any other error (404 TAG_NOT_FOUND, 422 TAG_NOT_WRITABLE…).
 */
@ApiTags('live')
@ApiBearerAuth()
@Controller('agents/:id')
export class LiveController {
  constructor(
    private readonly commands: CommandService,
    private readonly configs: ConfigService,
    private readonly audit: AuditTrail,
  ) {}

  @MinimumRole('viewer')
  @Get('values')
  @ApiOperation({ summary: 'The latest values the agent holds from its polls (nothing is read from the devices)' })
  @ApiQuery({ name: 'device', required: false })
  @ApiQuery({ name: 'group', required: false })
  @ApiQuery(timeoutMsQuery('read-values'))
  @ApiOkResponse({ schema: openApiSchema(ValuesResponseSchema) })
  async values(
    @Param('id', UuidParamPipe) id: string,
    @Query(new ZodValidationPipe(ReadValuesQuerySchema)) q: z.output<typeof ReadValuesQuerySchema>,
  ): Promise<{ agentId: string; groups: GroupValues[] }> {
    const args = { ...(q.device ? { device: q.device } : {}), ...(q.group ? { group: q.group } : {}) };
    const result = await this.commands.send(id, 'read-values', args, q.timeoutMs);
    return { agentId: id, groups: result.groups };
  }

  @MinimumRole('operator')
  @Post('tags/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reads a group, or one tag of it, from the device now' })
  @ApiQuery(timeoutMsQuery('read'))
  @ApiBody({ schema: openApiSchema(ReadArgsSchema, 'input') })
  @ApiOkResponse({ schema: openApiSchema(ReadResultSchema) })
  read(
    @Param('id', UuidParamPipe) id: string,
    @Body(new ZodValidationPipe(ReadArgsSchema)) body: z.output<typeof ReadArgsSchema>,
    @Query(new ZodValidationPipe(ReadQuerySchema)) q: z.output<typeof ReadQuerySchema>,
  ): Promise<CommandResult<'read'>> {
    this.audit.note({ action: 'device.read', targetType: 'agent', targetId: id, details: { device: body.device, group: body.group, ...(body.tag ? { tag: body.tag } : {}) } });
    return this.commands.send(id, 'read', body, q.timeoutMs);
  }

  @MinimumRole('operator')
  @Post('tags/write')
  @HttpCode(200)
  @ApiOperation({ summary: "Writes a value, in engineering units, to an 'rw' tag; answers once the device has acknowledged it" })
  @ApiQuery(timeoutMsQuery('write'))
  @ApiBody({ schema: openApiSchema(WriteArgsSchema, 'input') })
  @ApiOkResponse({ schema: openApiSchema(WriteResultSchema) })
  async write(
    @Param('id', UuidParamPipe) id: string,
    @Body(new ZodValidationPipe(WriteArgsSchema)) body: z.output<typeof WriteArgsSchema>,
    @Query(new ZodValidationPipe(WriteQuerySchema)) q: z.output<typeof WriteQuerySchema>,
  ): Promise<CommandResult<'write'>> {
    // The value before is not noted: the agent's cache answers only with a read-values round trip.
    this.audit.note({ action: 'tag.write', targetType: 'agent', targetId: id, after: { value: body.value }, details: { device: body.device, group: body.group, tag: body.tag } });
    const result = await this.commands.send(id, 'write', body, q.timeoutMs);
    this.audit.note({ details: { answer: 'ok' } });
    return result;
  }

  @MinimumRole('operator')
  @Post('browse')
  @HttpCode(200)
  @ApiOperation({ summary: "Lists an OPC UA node's children (default the Objects folder), on a configured device (by name) or an unsaved one (in full)" })
  @ApiQuery(timeoutMsQuery('browse'))
  @ApiBody({ schema: openApiSchema(BrowseArgsSchema, 'input') })
  @ApiOkResponse({ schema: openApiSchema(BrowseResultSchema) })
  async browse(
    @Param('id', UuidParamPipe) id: string,
    @Body(new ZodValidationPipe(BrowseArgsSchema)) body: z.output<typeof BrowseArgsSchema>,
    @Query(new ZodValidationPipe(BrowseQuerySchema)) q: z.output<typeof BrowseQuerySchema>,
  ): Promise<CommandResult<'browse'>> {
    this.audit.note({ action: 'device.browse', targetType: 'agent', targetId: id, details: { device: typeof body.device === 'string' ? body.device : body.device.name, nodeId: body.nodeId } });
    const device = typeof body.device === 'string' ? body.device : await this.configs.withStoredSecrets(id, body.device);
    return this.commands.send(id, 'browse', { ...body, device }, q.timeoutMs);
  }

  @MinimumRole('operator')
  @Post('devices/test-connection')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Tries an unsaved device: connects, reads each group once, disconnects',
    description: 'A device that cannot be reached is a result (200, `ok: false`, with the reason and, for an untrusted OPC UA server, its certificate), not an error.',
  })
  @ApiQuery(timeoutMsQuery('test-connection'))
  @ApiBody({ schema: openApiSchema(TestConnectionArgsSchema, 'input') })
  @ApiOkResponse({ schema: openApiSchema(TestConnectionResultSchema) })
  async testConnection(
    @Param('id', UuidParamPipe) id: string,
    @Body(new ZodValidationPipe(TestConnectionArgsSchema)) body: z.output<typeof TestConnectionArgsSchema>,
    @Query(new ZodValidationPipe(TestConnectionQuerySchema)) q: z.output<typeof TestConnectionQuerySchema>,
  ): Promise<CommandResult<'test-connection'>> {
    this.audit.note({ action: 'device.test-connection', targetType: 'agent', targetId: id, details: { device: body.device.name, driver: body.device.driver } });
    return this.commands.send(id, 'test-connection', { device: await this.configs.withStoredSecrets(id, body.device) }, q.timeoutMs);
  }
}
