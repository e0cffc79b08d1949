import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiForbiddenResponse } from '@nestjs/swagger';
import type { Role } from '@edgefleet/protocol';

export const MINIMUM_ROLE = 'edgefleet:minimum-role';

/**
 * The least role a route needs; higher roles may use it too (the ranks are in `auth/roles.ts`).
 * Every route carries either this or `@Public()`: the session guard refuses a route that carries
 * neither, and `auth/route-access.test.ts` fails the test run naming it. It is a method decorator
 * only, so a route added to a controller never inherits a role meant for its neighbours.
 * The OpenAPI document shows the role as `x-minimum-role` and lists the 403.
 */
export const MinimumRole = (role: Role): MethodDecorator =>
  applyDecorators(
    SetMetadata(MINIMUM_ROLE, role),
    ApiExtension('x-minimum-role', role),
    ApiForbiddenResponse({ description: `FORBIDDEN: the signed-in user's role is below ${role}` }),
  );
