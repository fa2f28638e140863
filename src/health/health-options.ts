import { GracefulOptionsError } from '../validate-options.js';

/** The ready-made controller's routes (relative to a global prefix, if the app sets one). */
export interface GracefulHealthPaths {
  /** Default `'health/ready'`. */
  readyPath?: string;
  /** Default `'health/live'`. */
  livePath?: string;
}

/** What `GracefulHealthModule.forRoot()` accepts. */
export interface GracefulHealthOptions {
  /**
   * Mount the ready-made controller: `true` (the default) at `GET /health/ready` and
   * `GET /health/live`, an object to choose the paths, `false` for the indicator only.
   */
  controller?: boolean | GracefulHealthPaths;
  /** The key of the indicator in the controller's Terminus body. Default `'lifecycle'`. */
  key?: string;
}

export interface ResolvedGracefulHealthOptions {
  controller: false | Required<GracefulHealthPaths>;
  key: string;
}

export const DEFAULT_HEALTH_PATHS: Required<GracefulHealthPaths> = { readyPath: 'health/ready', livePath: 'health/live' };

const show = (v: unknown): string => (typeof v === 'function' ? 'a function' : JSON.stringify(v) ?? String(v));
const PATH = /^\/?[^\s?#]+$/;
const isPath = (v: unknown): v is string => typeof v === 'string' && PATH.test(v) && v !== '/';

/** Checks `GracefulHealthModule.forRoot()`'s options; throws {@link GracefulOptionsError} naming each bad one. */
export function validateHealthOptions(raw: GracefulHealthOptions | undefined): ResolvedGracefulHealthOptions {
  const where = 'GracefulHealthModule.forRoot()';
  const options = raw ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new GracefulOptionsError([`the options of ${where} are ${show(options)}; they must be an object`]);
  }
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (key !== 'controller' && key !== 'key') {
      problems.push(`unknown option "${key}" of ${where}; the options are: controller, key`);
    }
  }
  const { controller = true, key = 'lifecycle' } = options;
  if (typeof key !== 'string' || key.trim() === '') {
    problems.push(`option "key" of ${where} is ${show(key)}; it must be a non-empty string`);
  }
  let paths: ResolvedGracefulHealthOptions['controller'] = false;
  if (controller === true) {
    paths = { ...DEFAULT_HEALTH_PATHS };
  } else if (controller !== false) {
    const allowed = 'true, false or { readyPath?, livePath? } with paths such as "health/ready"';
    if (typeof controller !== 'object' || controller === null || Array.isArray(controller)) {
      problems.push(`option "controller" of ${where} is ${show(controller)}; it must be ${allowed}`);
    } else {
      for (const name of Object.keys(controller)) {
        if (name !== 'readyPath' && name !== 'livePath') {
          problems.push(`unknown option "controller.${name}" of ${where}; it must be ${allowed}`);
        }
      }
      const resolved = { ...DEFAULT_HEALTH_PATHS, ...stripUndefined(controller) };
      for (const name of ['readyPath', 'livePath'] as const) {
        if (!isPath(resolved[name])) {
          problems.push(
            `option "controller.${name}" of ${where} is ${show(resolved[name])}; it must be a URL path such as "${DEFAULT_HEALTH_PATHS[name]}" (no spaces, "?" or "#")`,
          );
        }
      }
      if (isPath(resolved.readyPath) && isPath(resolved.livePath) && normalise(resolved.readyPath) === normalise(resolved.livePath)) {
        problems.push(`options "controller.readyPath" and "controller.livePath" of ${where} are both ${show(resolved.readyPath)}; they must differ`);
      }
      paths = resolved;
    }
  }
  if (problems.length > 0) throw new GracefulOptionsError(problems);
  return { controller: paths, key };
}

function stripUndefined(paths: GracefulHealthPaths): GracefulHealthPaths {
  return Object.fromEntries(Object.entries(paths).filter(([, v]) => v !== undefined));
}

function normalise(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
