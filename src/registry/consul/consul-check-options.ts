import { formatOptionProblem, unknownOptionProblem } from '../../common/option-problem.js';
import { MAX_TIMER_MS } from '../../common/timers.js';
import { CONSUL_DEFAULTS } from './consul-defaults.js';

/** A TTL check the registrar keeps passing with a heartbeat (the default). Durations in ms. */
export interface ConsulTtlCheckOptions {
  type: 'ttl';
  /** How long Consul waits for a heartbeat before the check turns critical. Default 10 000; at least 1 000. */
  ttl?: number;
  /** Time between heartbeats; must be shorter than `ttl`. Default `ttl / 3`. */
  heartbeatInterval?: number;
}

/** An HTTP check Consul runs itself against the caller's readiness URL. Durations in ms. */
export interface ConsulHttpCheckOptions {
  type: 'http';
  /**
   * The URL Consul polls, e.g. `http://10.0.0.5:3000/health/ready`. Default: `path` on the instance's HTTP endpoint.
   */
  url?: string;
  /** With no `url`: the readiness path on the instance's own HTTP endpoint. Default `/health/ready`. */
  path?: string;
  /** How often Consul polls. Default 10 000; at least 1 000. */
  interval?: number;
  /** How long Consul waits for an answer. Default 5 000; at most `interval`. */
  timeout?: number;
  /** Consul accepts any certificate on an https `url`. Default `false`. */
  tlsSkipVerify?: boolean;
  /**
   * How often the registrar looks whether the agent still knows the service (and registers it again if not). Default 10
   * 000.
   */
  syncInterval?: number;
}

/**
 * Consul's native gRPC check: the agent calls `grpc.health.v1.Health/Check` on the instance's
 * gRPC server, which nestjs-graceful answers (SERVING while ready). Durations in ms.
 */
export interface ConsulGrpcCheckOptions {
  type: 'grpc';
  /** `host:port` of the gRPC server. Default: the instance's `grpc://` (or `grpcs://`) endpoint. */
  target?: string;
  /** The gRPC service to check, e.g. `orders.Orders`. Default `""`: the whole server. */
  service?: string;
  /** Call the server over TLS. Default: `true` for a `grpcs://` endpoint, else `false`. */
  tls?: boolean;
  /** How often Consul calls. Default 10 000; at least 1 000. */
  interval?: number;
  /** How long Consul waits for an answer. Default 5 000; at most `interval`. */
  timeout?: number;
  /** With `tls`: Consul accepts any certificate. Default `false`. */
  tlsSkipVerify?: boolean;
  /**
   * How often the registrar looks whether the agent still knows the service (and registers it again if not). Default 10
   * 000.
   */
  syncInterval?: number;
}

/** What Consul's polled checks (HTTP, gRPC) share. */
interface ResolvedPolling {
  interval: number;
  timeout: number;
  tlsSkipVerify: boolean;
  syncInterval: number;
}

export type ResolvedCheck =
  | { type: 'ttl'; ttl: number; heartbeatInterval: number }
  | ({ type: 'http'; url?: string; path: string } & ResolvedPolling)
  | ({ type: 'grpc'; target?: string; service: string; tls?: boolean } & ResolvedPolling);

const TTL_KEYS = ['type', 'ttl', 'heartbeatInterval'];
const POLLING_KEYS = ['interval', 'timeout', 'tlsSkipVerify', 'syncInterval'];
const KEYS: Record<string, string[]> = {
  ttl: TTL_KEYS,
  http: ['type', 'url', 'path', ...POLLING_KEYS],
  grpc: ['type', 'target', 'service', 'tls', ...POLLING_KEYS],
};
const CHECK_FORMS =
  `{ type: 'ttl', ttl?, heartbeatInterval? }, { type: 'http', url? or path?, interval?, timeout?, tlsSkipVerify?, ` +
  `syncInterval? }` +
  ` or { type: 'grpc', target?, service?, tls?, interval?, timeout?, tlsSkipVerify?, syncInterval? }`;
/** host:port, the host a name, an IPv4 address or a bracketed IPv6 one. */
const GRPC_TARGET = /^(\[[0-9A-Fa-f:.]+\]|[^\s/:[\]]+):\d{1,5}$/;

export const isDuration = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_TIMER_MS;

/** Checks `consul.check` and fills in its defaults; `undefined` (with problems) when it is wrong. */
export function resolveConsulCheck(check: unknown, problems: string[]): ResolvedCheck | undefined {
  const c = (check ?? { type: 'ttl' }) as Record<string, unknown>;
  if (
    typeof c !== 'object' ||
    c === null ||
    Array.isArray(c) ||
    typeof c.type !== 'string' ||
    !Object.hasOwn(KEYS, c.type)
  ) {
    problems.push(formatOptionProblem({ option: 'consul.check', value: c, allowed: CHECK_FORMS }));
    return undefined;
  }
  const before = problems.length;
  const known = KEYS[c.type];
  for (const key of Object.keys(c)) {
    if (!known.includes(key) && c[key] !== undefined) problems.push(unknownOptionProblem(`consul.check.${key}`, known));
  }
  const duration = (name: string, fallback: number, min = 1): number => {
    const v = c[name] ?? fallback;
    if (!isDuration(v, min)) {
      problems.push(
        formatOptionProblem({
          option: `consul.check.${name}`,
          value: v,
          allowed: `a whole number of milliseconds from ${min} to ${MAX_TIMER_MS}`,
        }),
      );
    }
    return v as number;
  };
  if (c.type === 'ttl') {
    // Consul's TTL has one-second granularity in practice; shorter would flap.
    const ttl = duration('ttl', CONSUL_DEFAULTS.ttl, 1_000);
    // A bad ttl gives no default interval to check: only the ttl is reported.
    if (problems.length > before && c.heartbeatInterval === undefined) return undefined;
    const heartbeatInterval = duration('heartbeatInterval', Math.floor(ttl / 3));
    if (problems.length === before && heartbeatInterval >= ttl) {
      problems.push(
        formatOptionProblem({
          option: 'consul.check.heartbeatInterval',
          value: heartbeatInterval,
          allowed: `shorter than consul.check.ttl (${ttl})`,
          fix: 'ttl / 3 is usual',
        }),
      );
    }
    return problems.length === before ? { type: 'ttl', ttl, heartbeatInterval } : undefined;
  }
  const interval = duration('interval', CONSUL_DEFAULTS.httpInterval, 1_000);
  const timeout = duration('timeout', Math.min(CONSUL_DEFAULTS.httpTimeout, interval));
  const syncInterval = duration('syncInterval', CONSUL_DEFAULTS.syncInterval, 100);
  if (c.tlsSkipVerify !== undefined && typeof c.tlsSkipVerify !== 'boolean') {
    problems.push(
      formatOptionProblem({ option: 'consul.check.tlsSkipVerify', value: c.tlsSkipVerify, allowed: 'true or false' }),
    );
  }
  if (problems.length === before && timeout > interval) {
    problems.push(
      formatOptionProblem({
        option: 'consul.check.timeout',
        value: timeout,
        allowed: `at most consul.check.interval (${interval})`,
      }),
    );
  }
  const polling: ResolvedPolling = {
    interval,
    timeout,
    tlsSkipVerify: (c.tlsSkipVerify as boolean | undefined) ?? false,
    syncInterval,
  };
  const kind = c.type === 'grpc' ? resolveGrpcTarget(c, problems) : resolveHttpTarget(c, problems);
  return problems.length === before ? { ...kind, ...polling } : undefined;
}

function resolveHttpTarget(
  c: Record<string, unknown>,
  problems: string[],
): { type: 'http'; url?: string; path: string } {
  const url = c.url as string | undefined;
  if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\//i.test(url) || !URL.canParse(url))) {
    problems.push(
      formatOptionProblem({
        option: 'consul.check.url',
        value: url,
        allowed: 'an http(s) URL such as "http://10.0.0.5:3000/health/ready"',
      }),
    );
  }
  const path = c.path ?? '/health/ready';
  if (typeof path !== 'string' || !/^\/[^\s#]*$/.test(path)) {
    problems.push(
      formatOptionProblem({
        option: 'consul.check.path',
        value: path,
        allowed: 'a path starting with "/", such as "/health/ready"',
      }),
    );
  }
  return { type: 'http', url, path: path as string };
}

function resolveGrpcTarget(
  c: Record<string, unknown>,
  problems: string[],
): { type: 'grpc'; target?: string; service: string; tls?: boolean } {
  const target = c.target as string | undefined;
  if (target !== undefined && (typeof target !== 'string' || !GRPC_TARGET.test(target))) {
    problems.push(
      formatOptionProblem({
        option: 'consul.check.target',
        value: target,
        allowed: 'host:port of the gRPC server, such as "10.0.0.5:50051"',
        fix: typeof target === 'string' && target.includes('://') ? 'Leave out the scheme' : undefined,
      }),
    );
  }
  const service = c.service ?? '';
  if (typeof service !== 'string' || /[\s/]/.test(service)) {
    problems.push(
      formatOptionProblem({
        option: 'consul.check.service',
        value: service,
        allowed: 'a gRPC service name such as "orders.Orders", or "" for the whole server',
      }),
    );
  }
  const tls = c.tls as boolean | undefined;
  if (tls !== undefined && typeof tls !== 'boolean') {
    problems.push(formatOptionProblem({ option: 'consul.check.tls', value: tls, allowed: 'true or false' }));
  }
  return { type: 'grpc', target, service: service as string, tls };
}
