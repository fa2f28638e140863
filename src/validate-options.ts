import { DEFAULT_OPTIONS, type GracefulOptions, type ResolvedGracefulOptions } from './graceful-options.js';

/** Thrown at bootstrap when an option is wrong; the message says which, what it was and what is allowed. */
export class GracefulOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`nestjs-graceful: invalid options:\n  - ${problems.join('\n  - ')}`);
    this.name = 'GracefulOptionsError';
  }
}

type Check = (value: unknown) => string | undefined;

const duration: Check = (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2_147_483_647
    ? undefined
    : 'a whole number of milliseconds from 0 to 2147483647';
const positiveDuration: Check = (v) =>
  v !== 0 && duration(v) === undefined ? undefined : 'a whole number of milliseconds from 1 to 2147483647';
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const nonEmptyString: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : 'a non-empty string');
const stringRecord: Check = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
    ? undefined
    : 'an object whose values are strings';
const endpointList: Check = (v) =>
  Array.isArray(v) && v.every((e) => typeof e === 'string' && URL.canParse(e) && new URL(e).host !== '')
    ? undefined
    : 'an array of URLs such as "http://10.0.0.5:3000"';
const signalList: Check = (v) =>
  Array.isArray(v) && v.every((s) => typeof s === 'string' && /^SIG[A-Z0-9]+$/.test(s) && s !== 'SIGKILL' && s !== 'SIGSTOP')
    ? undefined
    : 'an array of signal names such as ["SIGTERM", "SIGINT"] (SIGKILL and SIGSTOP cannot be caught)';
const hooks: Check = (v) =>
  typeof v === 'function' || (Array.isArray(v) && v.every((h) => typeof h === 'function'))
    ? undefined
    : 'a function or an array of functions';
const registrar: Check = (v) =>
  v !== null &&
  typeof v === 'object' &&
  typeof (v as { register?: unknown }).register === 'function' &&
  typeof (v as { deregister?: unknown }).deregister === 'function'
    ? undefined
    : 'an object with register(instance, signal) and deregister(instance, signal) methods';

const plainObject: Check = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : 'an object of Consul options (see README)';

const CHECKS: Record<keyof GracefulOptions, Check> = {
  id: nonEmptyString,
  name: nonEmptyString,
  version: nonEmptyString,
  metadata: stringRecord,
  endpoints: endpointList,
  advertiseHost: nonEmptyString,
  signals: signalList,
  registrar,
  consul: plainObject,
  registrarTimeout: positiveDuration,
  registerRetryDelay: positiveDuration,
  registerRetryMaxDelay: positiveDuration,
  shutdownDelay: duration,
  stopTimeout: duration,
  abortGrace: duration,
  teardownTimeout: positiveDuration,
  hookTimeout: positiveDuration,
  gracePeriod: positiveDuration,
  forceExitOnSecondSignal: boolean,
  signalRepeatWindow: duration,
  exit: boolean,
  requireRegistration: boolean,
  beforeStart: hooks,
  afterStart: hooks,
  beforeStop: hooks,
  afterStop: hooks,
};

/** How a bad value is named in a message; never throws (BigInt, circular objects). */
const show = (v: unknown): string => {
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return String(v);
  try {
    return JSON.stringify(v, (_, x: unknown) => (typeof x === 'function' ? '[function]' : x)) ?? String(v);
  } catch {
    return Array.isArray(v) ? 'an array' : `a ${typeof v} that JSON cannot show`;
  }
};
const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Checks every option and fills in defaults. Throws {@link GracefulOptionsError} listing every problem. */
export function validateOptions(raw: GracefulOptions | undefined): ResolvedGracefulOptions {
  const options = raw ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new GracefulOptionsError([`the options are ${show(options)}; they must be an object`]);
  }
  const problems: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const check = CHECKS[key as keyof GracefulOptions];
    if (!check) {
      problems.push(`unknown option "${key}"; the options are: ${Object.keys(CHECKS).join(', ')}`);
      continue;
    }
    const allowed = check(value);
    if (allowed) problems.push(`option "${key}" is ${show(value)}; it must be ${allowed}`);
  }
  const resolved: ResolvedGracefulOptions = {
    ...DEFAULT_OPTIONS,
    signals: [...DEFAULT_OPTIONS.signals],
    metadata: {},
    ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as GracefulOptions),
    beforeStart: asList(options.beforeStart),
    afterStart: asList(options.afterStart),
    beforeStop: asList(options.beforeStop),
    afterStop: asList(options.afterStop),
  } as ResolvedGracefulOptions;
  if (options.registrar && options.consul) {
    problems.push('options "registrar" and "consul" are both set; give one: "consul" builds a ConsulRegistrar, "registrar" takes your own');
  }
  const retryDelaysValid = !problems.some((p) => /"registerRetry(Max)?Delay"/.test(p));
  if (retryDelaysValid && resolved.registerRetryMaxDelay < resolved.registerRetryDelay) {
    problems.push(
      `option "registerRetryMaxDelay" is ${resolved.registerRetryMaxDelay}; it must be at least registerRetryDelay (${resolved.registerRetryDelay})`,
    );
  }
  if (problems.length > 0) throw new GracefulOptionsError(problems);
  return resolved;
}
