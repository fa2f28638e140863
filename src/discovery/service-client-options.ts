import { formatOptionProblem, OptionProblemsError, unknownOptionProblem } from '../common/option-problem.js';
import { MAX_TIMER_MS } from '../common/timers.js';
import type { BalancerName } from './balancer.js';

/** How one service client balances, retries and bounds its requests. Durations in ms. */
export interface ServiceClientOptions {
  /** `'p2c'` (default): power of two choices on requests in flight; `'round-robin'`: each instance in turn. */
  balancer?: BalancerName;
  /** Instances one request may be sent to, the first included. Default 3. */
  maxAttempts?: number;
  /** From the call to the response head, all attempts together. Default 10 000. */
  timeout?: number;
  /** Bound of one TCP (and TLS) connect. Default 1 000. */
  connectTimeout?: number;
  /** Longest pause between two chunks of a response body. Default 30 000. */
  bodyTimeout?: number;
  /**
   * An idle keep-alive connection is closed after this (the server's `Keep-Alive: timeout` wins if shorter). Default 4
   * 000.
   */
  keepAliveTimeout?: number;
  /** Connections per instance. Default 64. */
  connections?: number;
  /** Negotiate HTTP/2 over TLS when the instance offers it. Default false. */
  allowH2?: boolean;
  /**
   * How long an instance that left the passing list stays a fallback, used only while no
   * instance passes: requests go to it (it usually still serves through its `shutdownDelay`
   * and drain), and once it refuses they wait for a passing instance until this window,
   * counted from the last departure, closes. It lets one instance restart with 0 failed calls.
   * Default 5 000; 0 drops an instance the moment it leaves.
   */
  fallbackWindow?: number;
  /**
   * How long an instance that a connection could not be made to (refused, connect timeout,
   * unreachable) is left out of picks while discovery still lists it: Consul can list an instance
   * for seconds after its listener closed. Doubled at each further failed connect once it is
   * back, up to 8 times; a response from it, or its leaving the list and coming back, ends it.
   * Requests in flight to it are untouched, and when every instance is out they are tried anyway.
   * Default 1 000; 0 never leaves one out.
   */
  ejectionTime?: number;
}

/** Every option filled in. */
export type ResolvedServiceClientOptions = Required<ServiceClientOptions>;

export const SERVICE_CLIENT_DEFAULTS: Readonly<ResolvedServiceClientOptions> = {
  balancer: 'p2c',
  maxAttempts: 3,
  timeout: 10_000,
  connectTimeout: 1_000,
  bodyTimeout: 30_000,
  keepAliveTimeout: 4_000,
  connections: 64,
  allowH2: false,
  fallbackWindow: 5_000,
  ejectionTime: 1_000,
};

export class ServiceClientOptionsError extends OptionProblemsError {
  constructor(problems: string[]) {
    super('nestjs-graceful: invalid service client options', problems);
    this.name = 'ServiceClientOptionsError';
  }
}

const WHOLE_NUMBERS: Record<'maxAttempts' | 'connections', [number, number]> = {
  maxAttempts: [1, 100],
  connections: [1, 10_000],
};
const DURATIONS = [
  'timeout',
  'connectTimeout',
  'bodyTimeout',
  'keepAliveTimeout',
  'fallbackWindow',
  'ejectionTime',
] as const;
/** Durations where 0 turns the feature off. */
const MAY_BE_ZERO = new Set<string>(['fallbackWindow', 'ejectionTime']);
const KNOWN_KEYS = Object.keys(SERVICE_CLIENT_DEFAULTS);

/** Fills in defaults (`base` first, then the built-in ones) and lists every bad value at once. */
export function resolveServiceClientOptions(
  service: string,
  options: ServiceClientOptions = {},
  base: ServiceClientOptions = {},
): ResolvedServiceClientOptions {
  const problems: string[] = [];
  if (typeof service !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(service)) {
    problems.push(
      formatOptionProblem({ option: 'service', value: service, allowed: 'a Consul service name (A-Z a-z 0-9 _ . -)' }),
    );
  }
  const o = checkInto(problems, `the client of "${service}"`, base, options);
  if (problems.length > 0) throw new ServiceClientOptionsError(problems);
  return o;
}

/** @internal The problems of the defaults every client starts from (`forRoot({ client })`). */
export function clientDefaultsProblems(client: ServiceClientOptions | undefined): string[] {
  const problems: string[] = [];
  checkInto(problems, 'the client defaults of GracefulDiscoveryModule.forRoot()', client ?? {});
  return problems;
}

/** Merges `layers` over the defaults, adding every problem to `problems`. */
function checkInto(problems: string[], where: string, ...layers: ServiceClientOptions[]): ResolvedServiceClientOptions {
  for (const key of layers.flatMap((layer) => Object.keys(layer))) {
    if (!KNOWN_KEYS.includes(key)) problems.push(unknownOptionProblem(key, KNOWN_KEYS, where));
  }
  const o = Object.assign({ ...SERVICE_CLIENT_DEFAULTS }, ...layers.map(dropUndefined)) as ResolvedServiceClientOptions;
  const report = (option: keyof ResolvedServiceClientOptions, allowed: string) =>
    problems.push(formatOptionProblem({ option, value: o[option], where, allowed }));
  if (o.balancer !== 'p2c' && o.balancer !== 'round-robin') report('balancer', "'p2c' or 'round-robin'");
  for (const [name, [min, max]] of Object.entries(WHOLE_NUMBERS) as [keyof typeof WHOLE_NUMBERS, [number, number]][]) {
    if (!Number.isInteger(o[name]) || o[name] < min || o[name] > max)
      report(name, `a whole number from ${min} to ${max}`);
  }
  for (const name of DURATIONS) {
    const min = MAY_BE_ZERO.has(name) ? 0 : 1;
    if (!Number.isInteger(o[name]) || o[name] < min || o[name] > MAX_TIMER_MS)
      report(name, `a whole number of milliseconds from ${min} to ${MAX_TIMER_MS}`);
  }
  if (typeof o.allowH2 !== 'boolean') report('allowH2', 'true or false');
  return o;
}

function dropUndefined(options: ServiceClientOptions): ServiceClientOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
