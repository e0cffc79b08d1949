import { Controller, Get, Post } from '@nestjs/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { MinimumRole } from '../common/http/minimum-role.decorator.js';
import { Public } from '../common/http/public.decorator.js';
import { appRoutes } from '../testing/app-routes.js';
import { routesOfControllers, type ApiRoute } from './route-access.js';

const describeRoute = (r: ApiRoute) => `${r.method} ${r.path} (${r.handler})`;
const roleOf = (r: ApiRoute) => (r.access.kind === 'role' ? r.access.role : r.access.kind);

/**
 * The check that keeps every route authorised: it lists every route of every controller the
 * application registers, so a route added without `@Public()` or `@MinimumRole()` fails here by name.
 */
describe('route access declarations', () => {
  let routes: ApiRoute[];
  beforeAll(async () => {
    routes = await appRoutes();
  });

  it('finds the routes of every registered controller', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.map((r) => r.handler)).toEqual(expect.arrayContaining(['HealthController.health', 'UsersController.delete', 'LiveController.write']));
  });

  it('has exactly one of @Public() and @MinimumRole() on every route', () => {
    const undeclared = routes.filter((r) => r.access.kind === 'undeclared').map(describeRoute);
    const conflicting = routes.filter((r) => r.access.kind === 'conflicting').map(describeRoute);
    expect(undeclared, 'routes with neither @Public() nor @MinimumRole(role)').toEqual([]);
    expect(conflicting, 'routes with both @Public() and @MinimumRole(role)').toEqual([]);
  });

  it('keeps public only health, login and enrollment', () => {
    expect(routes.filter((r) => r.access.kind === 'public').map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /api/v1/health',
      'POST /api/v1/auth/login',
      'POST /api/v1/enrollments',
    ]);
  });

  it('gives the documented role to the routes that change things', () => {
    const table = Object.fromEntries(routes.map((r) => [`${r.method} ${r.path}`, roleOf(r)]));
    expect(table).toMatchObject({
      'GET /api/v1/agents': 'viewer',
      'POST /api/v1/agents/:id/config/diff': 'viewer',
      'GET /api/v1/agents/:id/values': 'viewer',
      'POST /api/v1/auth/logout': 'viewer',
      'GET /api/v1/auth/me': 'viewer',
      'PUT /api/v1/agents/:id/config': 'operator',
      'POST /api/v1/agents/:id/config/rollback': 'operator',
      'POST /api/v1/agents/:id/devices/:device/trusted-certificates': 'operator',
      'DELETE /api/v1/agents/:id/devices/:device/trusted-certificates/:fingerprint': 'operator',
      'POST /api/v1/agents/:id/tags/read': 'operator',
      'POST /api/v1/agents/:id/tags/write': 'operator',
      'POST /api/v1/agents/:id/browse': 'operator',
      'POST /api/v1/agents/:id/devices/test-connection': 'operator',
      'POST /api/v1/fleets/:id/enrollment-tokens': 'admin',
      'GET /api/v1/fleets/:id/enrollment-tokens': 'admin',
      'DELETE /api/v1/fleets/:id/enrollment-tokens/:tokenId': 'admin',
      'PUT /api/v1/fleets/:id/config': 'admin',
      'POST /api/v1/agents/:id/approve': 'admin',
      'POST /api/v1/agents/:id/reject': 'admin',
      'DELETE /api/v1/agents/:id': 'admin',
      'GET /api/v1/users': 'admin',
      'POST /api/v1/users': 'admin',
      'PATCH /api/v1/users/:id': 'admin',
      'DELETE /api/v1/users/:id': 'admin',
    });
  });
});

describe('routesOfControllers', () => {
  it('tells declared, undeclared and conflicting routes apart, and skips helpers', () => {
    @Controller('things')
    class ThingsController {
      @MinimumRole('operator')
      @Post(':id/poke')
      poke(): void {}

      @Get()
      forgotten(): void {}

      @Public()
      @MinimumRole('viewer')
      @Get('both')
      both(): void {}

      helper(): void {}
    }
    @Public()
    @Controller('open')
    class OpenController {
      @Get()
      hello(): void {}
    }
    const found = routesOfControllers([ThingsController, OpenController], 'api/v1').map((r) => [r.method, r.path, r.handler, roleOf(r)]);
    expect(found).toEqual([
      ['GET', '/api/v1/open', 'OpenController.hello', 'public'],
      ['GET', '/api/v1/things', 'ThingsController.forgotten', 'undeclared'],
      ['POST', '/api/v1/things/:id/poke', 'ThingsController.poke', 'operator'],
      ['GET', '/api/v1/things/both', 'ThingsController.both', 'conflicting'],
    ]);
  });
});
