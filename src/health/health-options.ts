import { deepFreeze } from '../common/deep-freeze.js';
import { describeValue } from '../common/describe-value.js';
import { formatOptionProblem, unknownOptionProblem } from '../common/option-problem.js';

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

/** The ready-made controller's default paths, frozen. */
export const DEFAULT_HEALTH_PATHS = deepFreeze({
  readyPath: 'health/ready',
  livePath: 'health/live',
} satisfies Required<GracefulHealthPaths>);

const WHERE = 'GracefulHealthModule.forRoot()';
const PATH = /^\/?[^\s?#]+$/;
const isPath = (v: unknown): v is string => typeof v === 'string' && PATH.test(v) && v !== '/';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks `GracefulHealthModule.forRoot()`'s options and fills in defaults. Lists every problem
 * instead of throwing: GracefulModule reports them at bootstrap together with its own.
 */
export function checkHealthOptions(raw: GracefulHealthOptions | undefined): {
  options?: ResolvedGracefulHealthOptions;
  problems: string[];
} {
  const options = raw ?? {};
  if (!isObject(options)) {
    return {
      problems: [
        `the options of ${WHERE} are ${describeValue(options)}; they must be an object such as { controller: true }`,
      ],
    };
  }
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (key !== 'controller' && key !== 'key') problems.push(unknownOptionProblem(key, ['controller', 'key'], WHERE));
  }
  const { controller = true, key = 'lifecycle' } = options as GracefulHealthOptions;
  if (typeof key !== 'string' || key.trim() === '') {
    problems.push(formatOptionProblem({ option: 'key', where: WHERE, value: key, allowed: 'a non-empty string' }));
  }
  const paths =
    controller === true ? { ...DEFAULT_HEALTH_PATHS } : controller === false ? false : checkPaths(controller, problems);
  return problems.length > 0 || paths === undefined ? { problems } : { options: { controller: paths, key }, problems };
}

function checkPaths(controller: unknown, problems: string[]): Required<GracefulHealthPaths> | undefined {
  const allowed = 'true, false or { readyPath?, livePath? } with paths such as "health/ready"';
  if (!isObject(controller)) {
    problems.push(formatOptionProblem({ option: 'controller', where: WHERE, value: controller, allowed }));
    return undefined;
  }
  for (const name of Object.keys(controller)) {
    if (name !== 'readyPath' && name !== 'livePath')
      problems.push(unknownOptionProblem(`controller.${name}`, ['readyPath', 'livePath'], WHERE));
  }
  const given = Object.fromEntries(Object.entries(controller).filter(([, v]) => v !== undefined));
  const resolved = { ...DEFAULT_HEALTH_PATHS, ...given } as Required<GracefulHealthPaths>;
  const before = problems.length;
  for (const name of ['readyPath', 'livePath'] as const) {
    if (!isPath(resolved[name])) {
      problems.push(
        formatOptionProblem({
          option: `controller.${name}`,
          where: WHERE,
          value: resolved[name],
          allowed: `a URL path such as "${DEFAULT_HEALTH_PATHS[name]}" (no spaces, "?" or "#")`,
        }),
      );
    }
  }
  if (problems.length === before && normalise(resolved.readyPath) === normalise(resolved.livePath)) {
    problems.push(
      formatOptionProblem({
        option: 'controller.livePath',
        where: WHERE,
        value: resolved.livePath,
        allowed: `another path than controller.readyPath (${describeValue(resolved.readyPath)})`,
      }),
    );
  }
  return resolved;
}

function normalise(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
