import { MAX_TIMER_MS } from '../common/timers';
import type { BalancerName } from './balancer';

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
  /** An idle keep-alive connection is closed after this (the server's `Keep-Alive: timeout` wins if shorter). Default 4 000. */
  keepAliveTimeout?: number;
  /** Connections per instance. Default 64. */
  connections?: number;
  /** Negotiate HTTP/2 over TLS when the instance offers it. Default false. */
  allowH2?: boolean;
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
};

export class ServiceClientOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`nestjs-graceful: invalid service client options:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ServiceClientOptionsError';
  }
}

const WHOLE_NUMBERS: Record<'maxAttempts' | 'connections', [number, number]> = { maxAttempts: [1, 100], connections: [1, 10_000] };
const DURATIONS = ['timeout', 'connectTimeout', 'bodyTimeout', 'keepAliveTimeout'] as const;

/** Fills in defaults (`base` first, then the built-in ones) and lists every bad value at once. */
export function resolveServiceClientOptions(
  service: string,
  options: ServiceClientOptions = {},
  base: ServiceClientOptions = {},
): ResolvedServiceClientOptions {
  const problems: string[] = [];
  const where = `the client of "${service}"`;
  if (typeof service !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(service)) {
    problems.push(`the service name ${JSON.stringify(service)} is not a Consul service name (A-Z a-z 0-9 _ . -)`);
  }
  const o = { ...SERVICE_CLIENT_DEFAULTS, ...dropUndefined(base), ...dropUndefined(options) };
  if (o.balancer !== 'p2c' && o.balancer !== 'round-robin') {
    problems.push(`${where}: balancer is ${JSON.stringify(o.balancer)}; it must be 'p2c' or 'round-robin'`);
  }
  for (const [name, [min, max]] of Object.entries(WHOLE_NUMBERS) as [keyof typeof WHOLE_NUMBERS, [number, number]][]) {
    const v = o[name];
    if (!Number.isInteger(v) || v < min || v > max) problems.push(`${where}: ${name} is ${JSON.stringify(v)}; it must be a whole number from ${min} to ${max}`);
  }
  for (const name of DURATIONS) {
    const v = o[name];
    if (!Number.isInteger(v) || v < 1 || v > MAX_TIMER_MS) {
      problems.push(`${where}: ${name} is ${JSON.stringify(v)}; it must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}`);
    }
  }
  if (typeof o.allowH2 !== 'boolean') problems.push(`${where}: allowH2 is ${JSON.stringify(o.allowH2)}; it must be true or false`);
  if (problems.length > 0) throw new ServiceClientOptionsError(problems);
  return o;
}

function dropUndefined(options: ServiceClientOptions): ServiceClientOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
