import { RequestMethod, type INestApplicationContext, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { Role } from '@edgefleet/protocol';
import { MINIMUM_ROLE } from '../common/http/minimum-role.decorator.js';
import { IS_PUBLIC } from '../common/http/public.decorator.js';

/**
 * What a route declares about who may call it. `undeclared` (neither decorator) and `conflicting`
 * (both) are mistakes: the guard refuses such a route and the route-access test names it.
 */
export type DeclaredAccess =
  | { kind: 'public' }
  | { kind: 'role'; role: Role }
  | { kind: 'undeclared' }
  | { kind: 'conflicting' };

/**
 * Reads a route's access declaration. `@Public()` may sit on the handler or its controller;
 * `@MinimumRole()` only on the handler. The guard and the tests both read it here, so they cannot
 * disagree about a route.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- handlers and controllers are plain functions to Reflect
export function declaredAccess(handler: Function, controller: Function): DeclaredAccess {
  const isPublic = Reflect.getMetadata(IS_PUBLIC, handler) === true || Reflect.getMetadata(IS_PUBLIC, controller) === true;
  const role = Reflect.getMetadata(MINIMUM_ROLE, handler) as Role | undefined;
  if (isPublic && role) return { kind: 'conflicting' };
  if (isPublic) return { kind: 'public' };
  if (role) return { kind: 'role', role };
  return { kind: 'undeclared' };
}

export interface ApiRoute {
  /** Upper case, as in HTTP: `GET`, `POST`… */
  method: string;
  /** With the global prefix and Express-style parameters: `/api/v1/agents/:id`. */
  path: string;
  /** `Controller.handler`, for messages. */
  handler: string;
  access: DeclaredAccess;
}

function joinPath(...parts: string[]): string {
  const joined = parts
    .flatMap((p) => p.split('/'))
    .filter((p) => p.length > 0)
    .join('/');
  return `/${joined}`;
}

function pathsOf(metadata: unknown): string[] {
  if (Array.isArray(metadata)) return metadata.map(String);
  return typeof metadata === 'string' ? [metadata] : ['/'];
}

/** Every route handler of the given controllers, one entry per method and path. */
export function routesOfControllers(controllers: Iterable<Type>, prefix: string): ApiRoute[] {
  const scanner = new MetadataScanner();
  const routes: ApiRoute[] = [];
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      if (typeof handler !== 'function') continue;
      const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as unknown;
      const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      // A method without route metadata is a helper, not a route.
      if (methodPath === undefined || requestMethod === undefined) continue;
      const access = declaredAccess(handler, controller);
      for (const base of pathsOf(Reflect.getMetadata(PATH_METADATA, controller))) {
        for (const sub of pathsOf(methodPath)) {
          routes.push({ method: RequestMethod[requestMethod], path: joinPath(prefix, base, sub), handler: `${controller.name}.${name}`, access });
        }
      }
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

/** Every route of every controller registered in the application's modules (imported ones too). */
export function routesOfApp(app: INestApplicationContext, prefix: string): ApiRoute[] {
  const controllers = new Set<Type>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      if (wrapper.metatype) controllers.add(wrapper.metatype as Type);
    }
  }
  return routesOfControllers(controllers, prefix);
}
