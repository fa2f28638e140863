import { MAX_TIMER_MS } from '../../common/timers';
import {
  type ConsulConnectionOptions,
  type Env,
  type ResolvedConsulConnection,
  resolveConsulConnection,
  show,
  typeOf,
} from './consul-connection-options';

/** Where the discovery reports a stale list (warn), a refused watch (error) and recoveries (log). */
export interface ConsulDiscoveryLogger {
  warn(message: string): void;
  error?(message: string): void;
  log?(message: string): void;
}

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
  /** Default: `console`. */
  logger?: ConsulDiscoveryLogger;
}

/** Every option filled in and checked. */
export interface ResolvedConsulDiscoveryOptions extends ResolvedConsulConnection {
  datacenter: string | undefined;
  /** The `filter` query parameter built from tags, metadata and filter, or undefined. */
  filter: string | undefined;
  wait: number;
  retryDelay: number;
  retryMaxDelay: number;
  logger: ConsulDiscoveryLogger;
}

export const CONSUL_DISCOVERY_DEFAULTS = { wait: 60_000, retryDelay: 500, retryMaxDelay: 30_000 } as const;

/** Consul caps a blocking query's wait at 10 minutes. */
const MAX_WAIT_MS = 600_000;

export class ConsulDiscoveryOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`nestjs-graceful: invalid consul discovery options:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConsulDiscoveryOptionsError';
  }
}

/** A string literal of Consul's filter language (go-bexpr): double quotes, backslash escapes. */
const literal = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Fills in defaults and env fallbacks and checks everything; throws one error listing every problem. */
export function resolveConsulDiscoveryOptions(
  raw: ConsulDiscoveryOptions | undefined,
  env: Env = process.env,
): ResolvedConsulDiscoveryOptions {
  const o: ConsulDiscoveryOptions = raw ?? {};
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new ConsulDiscoveryOptionsError([`the consul options are ${typeOf(o)}; they must be an object`]);
  }
  const problems: string[] = [];
  const connection = resolveConsulConnection(o, env, problems);
  const clauses: string[] = [];

  if (o.datacenter !== undefined && (typeof o.datacenter !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(o.datacenter))) {
    problems.push(`consul.datacenter is ${show(o.datacenter)}; it must be a datacenter name such as "dc1"`);
  }
  if (o.tags !== undefined) {
    if (Array.isArray(o.tags) && o.tags.every((t) => typeof t === 'string' && t !== '')) {
      clauses.push(...o.tags.map((tag) => `${literal(tag)} in Service.Tags`));
    } else problems.push(`consul.tags is ${show(o.tags)}; it must be an array of non-empty strings`);
  }
  if (o.metadata !== undefined) {
    const entries = typeof o.metadata === 'object' && o.metadata !== null && !Array.isArray(o.metadata) ? Object.entries(o.metadata) : undefined;
    const bad = entries?.find(([key, value]) => !/^[A-Za-z0-9_-]{1,128}$/.test(key) || typeof value !== 'string');
    if (!entries || bad) {
      problems.push(
        `consul.metadata is ${show(o.metadata)}; it must map Meta keys (A-Z a-z 0-9 _ -) to strings${bad ? `, and ${show(bad[0])} does not` : ''}`,
      );
    } else clauses.push(...entries.map(([key, value]) => `Service.Meta[${literal(key)}] == ${literal(value)}`));
  }
  if (o.filter !== undefined) {
    if (typeof o.filter === 'string' && o.filter.trim() !== '') clauses.push(`(${o.filter.trim()})`);
    else problems.push(`consul.filter is ${show(o.filter)}; it must be a Consul filter expression such as 'Service.Meta.zone == "b"'`);
  }

  const duration = (name: 'wait' | 'retryDelay' | 'retryMaxDelay', min: number, max: number): number => {
    const v = o[name] ?? CONSUL_DISCOVERY_DEFAULTS[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(`consul.${name} is ${show(v)}; it must be a whole number of milliseconds from ${min} to ${max}`);
    }
    return v;
  };
  const wait = duration('wait', 1_000, MAX_WAIT_MS);
  const retryDelay = duration('retryDelay', 1, MAX_TIMER_MS);
  const retryMaxDelay = duration('retryMaxDelay', 1, MAX_TIMER_MS);
  if (problems.length === 0 && retryMaxDelay < retryDelay) {
    problems.push(`consul.retryMaxDelay is ${retryMaxDelay}; it must be at least consul.retryDelay (${retryDelay})`);
  }

  const logger = o.logger ?? console;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    problems.push(`consul.logger is ${show(logger)}; it must be an object with a warn(message) method`);
  }

  if (problems.length > 0 || !connection) throw new ConsulDiscoveryOptionsError(problems);
  return {
    ...connection,
    datacenter: o.datacenter,
    filter: clauses.length > 0 ? clauses.join(' and ') : undefined,
    wait,
    retryDelay,
    retryMaxDelay,
    logger,
  };
}
