import { Logger, RequestMethod, type Type } from '@nestjs/common';
import { MetadataScanner, type ModulesContainer } from '@nestjs/core';

// Nest's metadata keys (@nestjs/common/constants, not a public entry of the package).
const PATH = 'path';
const METHOD = 'method';
const HOST = 'host';
const VERSION = '__version__';

const normalise = (path: string): string => path.split('/').filter(Boolean).join('/');
const pathsOf = (target: object): string[] => {
  const path: unknown = Reflect.getMetadata(PATH, target);
  return path === undefined ? [''] : (Array.isArray(path) ? path : [path]).map(String);
};
/** A route on another host or API version may share the path without clashing. */
const scoped = (target: object): boolean =>
  Reflect.getMetadata(HOST, target) !== undefined || Reflect.getMetadata(VERSION, target) !== undefined;

/**
 * @internal The GET routes of the app's other controllers that take one of `paths`, as
 * `Class.method` by path. Read from decorator metadata before any route is registered.
 */
export function routesAt(
  modules: ModulesContainer,
  own: Type<unknown>,
  paths: readonly string[],
): Map<string, string[]> {
  const wanted = new Set(paths.map(normalise));
  const found = new Map<string, string[]>();
  const scanner = new MetadataScanner();
  for (const module of modules.values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function' || metatype === own || scoped(metatype)) continue;
      const prototype = metatype.prototype as Record<string, object>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name]!;
        const method: unknown = Reflect.getMetadata(METHOD, handler);
        if ((method !== RequestMethod.GET && method !== RequestMethod.ALL) || scoped(handler)) continue;
        for (const prefix of pathsOf(metatype)) {
          for (const path of pathsOf(handler)) {
            const route = normalise(`${prefix}/${path}`);
            if (wanted.has(route)) found.set(route, [...(found.get(route) ?? []), `${metatype.name}.${name}`]);
          }
        }
      }
    }
  }
  return found;
}

/**
 * @internal Warns at start, before Nest registers any route, when another controller takes a
 * path of the ready-made health controller: a forgotten `controller: false`. Express would
 * answer with one of them silently; Fastify refuses to start.
 */
export function warnOnDuplicateHealthRoutes(
  modules: ModulesContainer,
  own: Type<unknown>,
  paths: readonly string[],
): void {
  for (const [route, handlers] of routesAt(modules, own, paths)) {
    new Logger('GracefulHealth').warn(
      `GET /${route} is mapped twice: by GracefulHealthModule.forRoot()'s ready-made controller and by ` +
        `${handlers.join(', ')}. ` +
        `Only one of them can answer (Express serves the first one mapped, Fastify refuses to start). ` +
        `With your own health controller, import GracefulHealthModule (or forRoot({ controller: false })) for the ` +
        `indicator alone.`,
    );
  }
}
