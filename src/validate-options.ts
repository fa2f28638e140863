import { describeValue } from './common/describe-value.js';
import { formatOptionProblem, OptionProblemsError, unknownOptionProblem } from './common/option-problem.js';
import { DEFAULT_OPTIONS, type GracefulOptions, type ResolvedGracefulOptions } from './graceful-options.js';
import * as check from './option-checks.js';
import { checkConsulRegistrarOptions } from './registry/consul/consul-registrar-options.js';

/**
 * Thrown at bootstrap when an option is wrong. `problems` lists every problem at once, those
 * of `consul` and of `GracefulHealthModule.forRoot()` included, each naming the option, its
 * value, what is allowed and, where that is not obvious, how to fix it.
 */
export class GracefulOptionsError extends OptionProblemsError {
  constructor(problems: string[]) {
    super('nestjs-graceful: invalid options', problems);
    this.name = 'GracefulOptionsError';
  }
}

const CHECKS: Record<keyof GracefulOptions, check.Check> = {
  id: check.nonEmptyString,
  name: check.nonEmptyString,
  version: check.nonEmptyString,
  metadata: check.stringRecord,
  endpoints: check.endpointList,
  advertiseHost: check.nonEmptyString,
  signals: check.signalList,
  registrar: check.registrar,
  consul: check.consulObject,
  readiness: check.readiness,
  registrarTimeout: check.positiveDuration,
  registerRetryDelay: check.positiveDuration,
  registerRetryMaxDelay: check.positiveDuration,
  shutdownDelay: check.duration,
  stopTimeout: check.duration,
  abortGrace: check.duration,
  teardownTimeout: check.positiveDuration,
  hookTimeout: check.positiveDuration,
  gracePeriod: check.positiveDuration,
  forceExitOnSecondSignal: check.boolean,
  signalRepeatWindow: check.duration,
  exit: check.boolean,
  beforeStart: check.hooks,
  afterStart: check.hooks,
  beforeStop: check.hooks,
  afterStop: check.hooks,
};
const KNOWN = Object.keys(CHECKS);

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export interface ValidateContext {
  /** Problems found elsewhere (GracefulHealthModule.forRoot()) to report in the same error. */
  otherProblems?: readonly string[];
  /** Where `consul` falls back to CONSUL_HTTP_ADDR and friends. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Checks every option (the `consul` fields too) and fills in defaults; the result never
 * holds `consul`, only the registrar built from it later. Throws {@link GracefulOptionsError}
 * listing every problem.
 */
export function validateOptions(
  raw: GracefulOptions | undefined,
  context: ValidateContext = {},
): ResolvedGracefulOptions {
  const options = raw ?? {};
  const problems: string[] = [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const problem =
      `the options of GracefulModule.forRoot() are ${describeValue(options)}; they must be an object ` +
      `such as { shutdownDelay: 5000 }`;
    throw new GracefulOptionsError([problem, ...(context.otherProblems ?? [])]);
  }
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as GracefulOptions;
  for (const [key, value] of Object.entries(given)) {
    const verdict = Object.hasOwn(CHECKS, key) ? CHECKS[key as keyof GracefulOptions](value) : undefined;
    if (!Object.hasOwn(CHECKS, key)) problems.push(unknownOptionProblem(key, KNOWN));
    else if (verdict) problems.push(formatOptionProblem({ option: key, value, ...verdict }));
  }
  const { consul, ...rest } = given;
  const resolved = {
    ...DEFAULT_OPTIONS,
    signals: [...DEFAULT_OPTIONS.signals],
    metadata: {},
    ...rest,
    beforeStart: asList(given.beforeStart),
    afterStart: asList(given.afterStart),
    beforeStop: asList(given.beforeStop),
    afterStop: asList(given.afterStop),
  } as ResolvedGracefulOptions;
  if (given.registrar && consul) {
    problems.push(
      'options "registrar" and "consul" are both set; give one: "consul" builds a ConsulRegistrar, "registrar" takes ' +
        'your own',
    );
  }
  if (consul !== undefined && check.consulObject(consul) === undefined) {
    problems.push(...checkConsulRegistrarOptions(consul, context.env ?? process.env).problems);
  }
  const retryDelaysValid = !problems.some((p) => /"registerRetry(Max)?Delay"/.test(p));
  if (retryDelaysValid && resolved.registerRetryMaxDelay < resolved.registerRetryDelay) {
    problems.push(
      formatOptionProblem({
        option: 'registerRetryMaxDelay',
        value: resolved.registerRetryMaxDelay,
        allowed: `at least registerRetryDelay (${resolved.registerRetryDelay})`,
      }),
    );
  }
  problems.push(...(context.otherProblems ?? []));
  if (problems.length > 0) throw new GracefulOptionsError(problems);
  return resolved;
}
