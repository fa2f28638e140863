import { formatOptionProblem, OptionProblemsError } from '../../common/option-problem.js';
import { MAX_TIMER_MS } from '../../common/timers.js';
import type { ConsulAddress } from './consul-address.js';
import { resolveConsulConnection } from './consul-connection.js';
import type { ConsulRegistrarOptions } from './consul-registrar-options.js';
import type { ConsulTls } from './consul-tls.js';

/** Where the discovery reports a stale list (warn), a refused watch (error) and recoveries (log). */
export interface ConsulDiscoveryLogger {
  warn(message: string): void;
  error?(message: string): void;
  log?(message: string): void;
}

/** How to reach the agent: the same fields, defaults and environment variables as the registrar's. */
export type ConsulConnectionOptions = Pick<
  ConsulRegistrarOptions,
  'address' | 'host' | 'port' | 'secure' | 'token' | 'ca' | 'cert' | 'key'
>;

export interface ConsulDiscoveryOptions extends ConsulConnectionOptions {
  /** Ask this datacenter's servers (`?dc=`). Default: the agent's own. */
  datacenter?: string;
  /** Only instances carrying every one of these tags. */
  tags?: readonly string[];
  /** Only instances whose Meta has these exact values (e.g. `{ version: '2.0.0' }`). */
  metadata?: Readonly<Record<string, string>>;
  /** A Consul filter expression ANDed with the above, e.g. `Service.Meta.zone == "b"`. */
  filter?: string;
  /** Longest a blocking query parks at the agent (ms). Default 60 000, at most 600 000. */
  wait?: number;
  /** First pause after a failed query (ms); doubles up to `retryMaxDelay`. Default 500. */
  retryDelay?: number;
  /** Default 30 000. */
  retryMaxDelay?: number;
  /** Default: `console` (a Nest `Logger` under `GracefulDiscoveryModule`). */
  logger?: ConsulDiscoveryLogger;
}

/** Every option filled in and checked. */
export interface ResolvedConsulDiscoveryOptions {
  address: ConsulAddress;
  token: string | undefined;
  tls: ConsulTls;
  datacenter: string | undefined;
  /** The `filter` query parameter built from tags, metadata and filter, or undefined. */
  filter: string | undefined;
  wait: number;
  retryDelay: number;
  retryMaxDelay: number;
  logger: ConsulDiscoveryLogger;
}

export const CONSUL_DISCOVERY_DEFAULTS = Object.freeze({ wait: 60_000, retryDelay: 500, retryMaxDelay: 30_000 });

/** Consul caps a blocking query's wait at 10 minutes. */
const MAX_WAIT_MS = 600_000;
/** Besides the connection's, which resolveConsulConnection() knows. */
const OWN_KEYS: readonly (keyof ConsulDiscoveryOptions)[] = [
  'datacenter',
  'tags',
  'metadata',
  'filter',
  'wait',
  'retryDelay',
  'retryMaxDelay',
  'logger',
];

/** Thrown for bad discovery options; `problems` lists every one. */
export class ConsulDiscoveryOptionsError extends OptionProblemsError {
  constructor(problems: string[]) {
    super('nestjs-graceful: invalid consul discovery options', problems);
    this.name = 'ConsulDiscoveryOptionsError';
  }
}

/** A string literal of Consul's filter language (go-bexpr): double quotes, backslash escapes. */
const literal = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Fills in defaults and env fallbacks and checks everything; throws one error listing every problem. */
export function resolveConsulDiscoveryOptions(
  raw: ConsulDiscoveryOptions | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedConsulDiscoveryOptions {
  const o = (raw ?? {}) as Record<keyof ConsulDiscoveryOptions, unknown>;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new ConsulDiscoveryOptionsError([
      formatOptionProblem({ option: 'consul', value: o, allowed: 'an object of Consul options' }),
    ]);
  }
  const problems: string[] = [];
  const report = (option: string, allowed: string, fix?: string) =>
    problems.push(
      formatOptionProblem({
        option: `consul.${option}`,
        value: o[option as keyof ConsulDiscoveryOptions],
        allowed,
        fix,
      }),
    );
  const { address, token, tls } = resolveConsulConnection(o, OWN_KEYS, env, problems);

  const clauses: string[] = [];
  if (o.datacenter !== undefined && (typeof o.datacenter !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(o.datacenter))) {
    report('datacenter', 'a datacenter name such as "dc1"');
  }
  if (o.tags !== undefined) {
    if (Array.isArray(o.tags) && o.tags.every((t) => typeof t === 'string' && t !== '')) {
      clauses.push(...(o.tags as string[]).map((tag) => `${literal(tag)} in Service.Tags`));
    } else report('tags', 'an array of non-empty strings');
  }
  if (o.metadata !== undefined) {
    const entries =
      typeof o.metadata === 'object' && o.metadata !== null && !Array.isArray(o.metadata)
        ? Object.entries(o.metadata)
        : undefined;
    const bad = entries?.find(([key, value]) => !/^[A-Za-z0-9_-]{1,128}$/.test(key) || typeof value !== 'string');
    if (!entries || bad)
      report(
        'metadata',
        'an object of Meta keys (A-Z a-z 0-9 _ -) to strings',
        bad ? `"${bad[0]}" is not one, or its value is not a string` : undefined,
      );
    else clauses.push(...entries.map(([key, value]) => `Service.Meta[${literal(key)}] == ${literal(value as string)}`));
  }
  if (o.filter !== undefined) {
    if (typeof o.filter === 'string' && o.filter.trim() !== '') clauses.push(`(${o.filter.trim()})`);
    else report('filter', `a Consul filter expression such as 'Service.Meta.zone == "b"'`);
  }

  const duration = (name: 'wait' | 'retryDelay' | 'retryMaxDelay', min: number, max: number): number => {
    const v = o[name] ?? CONSUL_DISCOVERY_DEFAULTS[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(
        formatOptionProblem({
          option: `consul.${name}`,
          value: v,
          allowed: `a whole number of milliseconds from ${min} to ${max}`,
        }),
      );
    }
    return v as number;
  };
  const wait = duration('wait', 1_000, MAX_WAIT_MS);
  const retryDelay = duration('retryDelay', 1, MAX_TIMER_MS);
  const retryMaxDelay = duration('retryMaxDelay', 1, MAX_TIMER_MS);
  if (problems.length === 0 && retryMaxDelay < retryDelay)
    report('retryMaxDelay', `at least consul.retryDelay (${retryDelay})`);

  const logger = (o.logger ?? console) as ConsulDiscoveryLogger;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    report('logger', 'an object with a warn(message) method, such as a Nest Logger');
  }

  if (problems.length > 0 || !address) throw new ConsulDiscoveryOptionsError(problems);
  const filter = clauses.length > 0 ? clauses.join(' and ') : undefined;
  return {
    address,
    token,
    tls,
    datacenter: o.datacenter as string | undefined,
    filter,
    wait,
    retryDelay,
    retryMaxDelay,
    logger,
  };
}
