import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { LoginRequestSchema, LoginResponseSchema, type LoginRequest, type LoginResponse } from '@edgefleet/protocol';
import { openApiSchema } from '../common/http/openapi.js';
import { MinimumRole } from '../common/http/minimum-role.decorator.js';
import { Public } from '../common/http/public.decorator.js';
import { RateLimit } from '../common/rate-limit/rate-limit.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import type { SessionUser } from './auth.repository.js';
import { AuthService } from './auth.service.js';
import { CurrentUser } from './current-user.decorator.js';
import { bearerToken, type AuthenticatedRequest } from './session.guard.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @RateLimit('login')
  @Post('login')
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(LoginRequestSchema, 'input') })
  @ApiOkResponse({ schema: openApiSchema(LoginResponseSchema) })
  login(@Body(new ZodValidationPipe(LoginRequestSchema)) body: LoginRequest): Promise<LoginResponse> {
    return this.auth.login(body);
  }

  @MinimumRole('viewer')
  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  async logout(@Req() req: AuthenticatedRequest): Promise<void> {
    const token = bearerToken(req);
    if (token) await this.auth.logout(token);
  }

  @MinimumRole('viewer')
  @Get('me')
  @ApiBearerAuth()
  me(@CurrentUser() user: SessionUser): { id: string; username: string; role: string } {
    return { id: user.id, username: user.username, role: user.role };
  }
}
