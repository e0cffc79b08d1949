import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreateUserRequestSchema, UpdateUserRequestSchema, UserViewSchema, type CreateUserRequest, type UpdateUserRequest, type UserView } from '@edgefleet/protocol';
import { z } from 'zod';
import type { SessionUser } from '../auth/auth.repository.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { openApiSchema } from '../common/http/openapi.js';
import { MinimumRole } from '../common/http/minimum-role.decorator.js';
import { UuidParamPipe } from '../common/http/uuid-param.pipe.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { UsersService } from './users.service.js';

/** The users who may sign in to the console and the API, and their roles. Admins only. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @MinimumRole('admin')
  @Get()
  @ApiOkResponse({ schema: openApiSchema(z.array(UserViewSchema)) })
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  @MinimumRole('admin')
  @Post()
  @ApiOperation({ summary: 'Creates a user. The password needs at least 12 characters. 409 CONFLICT when the name is taken.' })
  @ApiBody({ schema: openApiSchema(CreateUserRequestSchema, 'input') })
  @ApiCreatedResponse({ schema: openApiSchema(UserViewSchema) })
  create(@Body(new ZodValidationPipe(CreateUserRequestSchema)) body: CreateUserRequest): Promise<UserView> {
    return this.users.create(body);
  }

  @MinimumRole('admin')
  @Patch(':id')
  @ApiOperation({ summary: "Changes a user's role, password or both, and ends their sessions (yours too, when it is you). 409 LAST_ADMIN when it would leave no admin." })
  @ApiBody({ schema: openApiSchema(UpdateUserRequestSchema, 'input') })
  @ApiOkResponse({ schema: openApiSchema(UserViewSchema) })
  update(@Param('id', UuidParamPipe) id: string, @Body(new ZodValidationPipe(UpdateUserRequestSchema)) body: UpdateUserRequest): Promise<UserView> {
    return this.users.update(id, body);
  }

  @MinimumRole('admin')
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Deletes a user and ends their sessions. 409 CANNOT_DELETE_SELF for your own account; 409 LAST_ADMIN for the last admin.' })
  @ApiNoContentResponse()
  async delete(@Param('id', UuidParamPipe) id: string, @CurrentUser() user: SessionUser): Promise<void> {
    await this.users.delete(id, user.id);
  }
}
