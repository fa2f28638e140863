import { readFileSync } from 'node:fs';
import { type ConsulAddress, parseConsulAddress } from './consul-address.js';
import { MAX_TIMER_MS } from '../../common/timers.js';

/** A TTL check the registrar keeps passing with a heartbeat (the default). Durations in ms. */
export interface ConsulTtlCheckOptions {
  type: 'ttl';
  /** How long Consul waits for a heartbeat before the check turns critical. Default 10 000. */
  ttl?: number;
  /** Time between heartbeats; must be shorter than `ttl`. Default `ttl / 3`. */
  heartbeatInterval?: number;
}

/** An HTTP check Consul runs itself against the caller's readiness URL. Durations in ms. */
export interface ConsulHttpCheckOptions {
  type: 'http';
  /** The URL Consul polls, e.g. `http://10.0.0.5:3000/health/ready`. Default: `path` on the instance's HTTP endpoint. */
  url?: string;
  /** With no `url`: the readiness path on the instance's own HTTP endpoint. Default `/health/ready`. */
  path?: string;
  /** Default 10 000. */
  interval?: number;
  /** Default 5 000; at most `interval`. */
  timeout?: number;
  tlsSkipVerify?: boolean;
  /** How often the registrar looks whether the agent still knows the service (and registers it again if not). Default 10 000. */
  syncInterval?: number;
}

export interface ConsulRegistrarLogger {
  warn(message: string): void;
  debug?(message: string): void;
}

export interface ConsulRegistrarOptions {
  /** `host:port`, `http://host:port` or `https://host:port`; exclusive with host/port/secure. */
  address?: string;
  host?: string;
  port?: number;
  secure?: boolean;
  /** ACL token. Never logged nor put in an error message. */
  token?: string;
  /** TLS material: a file path, a PEM string or a Buffer. */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  tags?: readonly string[];
  check?: ConsulTtlCheckOptions | ConsulHttpCheckOptions;
  /** Consul removes a service whose check stayed critical this long (ms). Default and minimum 60 000. */
  deregisterCriticalServiceAfter?: number;
  /** Where heartbeat trouble is reported. Default: `console`. */
  logger?: ConsulRegistrarLogger;
}

export type ResolvedCheck =
  | { type: 'ttl'; ttl: number; heartbeatInterval: number }
  | { type: 'http'; url?: string; path: string; interval: number; timeout: number; tlsSkipVerify: boolean; syncInterval: number };

export interface ResolvedConsulRegistrarOptions {
  address: ConsulAddress;
  token: string | undefined;
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  tags: string[];
  check: ResolvedCheck;
  deregisterCriticalServiceAfter: number;
  logger: ConsulRegistrarLogger;
}

export const CONSUL_DEFAULTS = {
  ttl: 10_000,
  httpInterval: 10_000,
  httpTimeout: 5_000,
  syncInterval: 10_000,
  /** Consul reaps critical services every 30 s and honours no less than a minute. */
  deregisterCriticalServiceAfter: 60_000,
} as const;


export class ConsulRegistrarOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`nestjs-graceful: invalid consul options:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConsulRegistrarOptionsError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const show = (v: unknown): string => {
  if (Buffer.isBuffer(v)) return 'a Buffer';
  if (typeof v === 'function') return 'a function';
  return JSON.stringify(v) ?? String(v);
};
const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);
const envValue = (env: Env, name: string): string | undefined => {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
};
const isDuration = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_TIMER_MS;

/** Fills in defaults and env fallbacks, and checks everything; throws one error listing every problem. */
export function resolveConsulRegistrarOptions(
  raw: ConsulRegistrarOptions | undefined,
  env: Env = process.env,
): ResolvedConsulRegistrarOptions {
  const problems: string[] = [];
  const o: ConsulRegistrarOptions = raw ?? {};
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new ConsulRegistrarOptionsError([`the consul options are ${typeOf(o)}; they must be an object`]);
  }

  const address = resolveAddress(o, env, problems);
  const token = resolveToken(o, env, problems);
  const tls = resolveTls(o, env, address?.secure ?? false, problems);

  let tags: string[] = [];
  if (o.tags !== undefined) {
    if (Array.isArray(o.tags) && o.tags.every((t) => typeof t === 'string' && t !== '')) tags = [...o.tags];
    else problems.push(`consul.tags is ${show(o.tags)}; it must be an array of non-empty strings`);
  }

  const check = resolveCheck(o.check, problems);

  const dcsa = o.deregisterCriticalServiceAfter ?? CONSUL_DEFAULTS.deregisterCriticalServiceAfter;
  if (!isDuration(dcsa, CONSUL_DEFAULTS.deregisterCriticalServiceAfter)) {
    problems.push(
      `consul.deregisterCriticalServiceAfter is ${show(dcsa)}; it must be a whole number of milliseconds from 60000 (Consul's minimum) to ${MAX_TIMER_MS}`,
    );
  }

  const logger = o.logger ?? console;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    problems.push(`consul.logger is ${show(logger)}; it must be an object with a warn(message) method`);
  }

  if (problems.length > 0 || !address || !check) throw new ConsulRegistrarOptionsError(problems);
  return { address, token, tls, tags, check, deregisterCriticalServiceAfter: dcsa, logger };
}

function resolveAddress(o: ConsulRegistrarOptions, env: Env, problems: string[]): ConsulAddress | undefined {
  const partsGiven = o.host !== undefined || o.port !== undefined || o.secure !== undefined;
  if (o.address !== undefined) {
    if (partsGiven) {
      problems.push('consul.address is given together with consul.host/port/secure; give one or the other');
      return undefined;
    }
    if (typeof o.address !== 'string') {
      problems.push(`consul.address is ${show(o.address)}; it must be a string such as "127.0.0.1:8500" or "https://consul.local:8501"`);
      return undefined;
    }
    const parsed = parseConsulAddress(o.address);
    if ('problem' in parsed) {
      problems.push(
        `consul.address is ${show(o.address)}; ${parsed.problem}: it must be host:port, http://host:port or https://host:port`,
      );
      return undefined;
    }
    return parsed.address;
  }
  if (partsGiven) {
    let ok = true;
    if (o.secure !== undefined && typeof o.secure !== 'boolean') {
      problems.push(`consul.secure is ${show(o.secure)}; it must be true or false`);
      ok = false;
    }
    if (o.host !== undefined && (typeof o.host !== 'string' || !/^[^\s/@?#]+$/.test(o.host))) {
      problems.push(`consul.host is ${show(o.host)}; it must be a host name or IP address such as "127.0.0.1"`);
      ok = false;
    }
    if (o.port !== undefined && !(typeof o.port === 'number' && Number.isInteger(o.port) && o.port >= 1 && o.port <= 65535)) {
      problems.push(`consul.port is ${show(o.port)}; it must be a whole number from 1 to 65535`);
      ok = false;
    }
    if (!ok) return undefined;
    const secure = o.secure ?? false;
    const host = (o.host ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
    return { host, port: o.port ?? (secure ? 8501 : 8500), secure };
  }
  const fromEnv = envValue(env, 'CONSUL_HTTP_ADDR');
  if (fromEnv !== undefined) {
    const secure = /^(1|true)$/i.test(envValue(env, 'CONSUL_HTTP_SSL') ?? '');
    const parsed = parseConsulAddress(fromEnv, secure);
    if ('problem' in parsed) {
      problems.push(
        `the environment variable CONSUL_HTTP_ADDR is ${show(fromEnv)}; ${parsed.problem}: it must be host:port, http://host:port or https://host:port`,
      );
      return undefined;
    }
    return parsed.address;
  }
  return { host: '127.0.0.1', port: 8500, secure: false };
}

function resolveToken(o: ConsulRegistrarOptions, env: Env, problems: string[]): string | undefined {
  if (o.token !== undefined) {
    // The value is a secret: the message says what kind of value it is, never the value.
    if (typeof o.token !== 'string') {
      problems.push(`consul.token is ${typeOf(o.token)}; it must be a string (an ACL token) or left out`);
      return undefined;
    }
    if (o.token.trim() === '' || /[\r\n]/.test(o.token)) {
      problems.push('consul.token is empty or contains a line break; it must be an ACL token or left out');
      return undefined;
    }
    return o.token.trim();
  }
  const fromEnv = envValue(env, 'CONSUL_HTTP_TOKEN');
  if (fromEnv !== undefined && /[\r\n]/.test(fromEnv)) {
    problems.push('the environment variable CONSUL_HTTP_TOKEN contains a line break; it must be an ACL token');
    return undefined;
  }
  return fromEnv;
}

const TLS_ITEMS = [
  ['ca', 'CONSUL_CACERT'],
  ['cert', 'CONSUL_CLIENT_CERT'],
  ['key', 'CONSUL_CLIENT_KEY'],
] as const;

function resolveTls(
  o: ConsulRegistrarOptions,
  env: Env,
  secure: boolean,
  problems: string[],
): ResolvedConsulRegistrarOptions['tls'] {
  const tls: ResolvedConsulRegistrarOptions['tls'] = {};
  for (const [option, envName] of TLS_ITEMS) {
    const given = o[option];
    if (given !== undefined) {
      if (!secure) {
        problems.push(`consul.${option} is set but the agent address is plain http; use https:// (or secure: true) or drop consul.${option}`);
        continue;
      }
      const loaded = loadPem(given, `consul.${option}`, option !== 'key', problems);
      if (loaded) tls[option] = loaded;
      continue;
    }
    const path = envValue(env, envName);
    // Like the consul CLI, TLS variables only matter for an https agent.
    if (path !== undefined && secure) {
      const loaded = loadPem(path, `the environment variable ${envName}`, true, problems, true);
      if (loaded) tls[option] = loaded;
    }
  }
  if ((tls.cert === undefined) !== (tls.key === undefined) && problems.length === 0) {
    problems.push('consul.cert and consul.key (or CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY) must be given together');
  }
  return tls;
}

function loadPem(value: unknown, name: string, mayShow: boolean, problems: string[], pathOnly = false): Buffer | undefined {
  if (Buffer.isBuffer(value)) {
    if (value.length === 0) problems.push(`${name} is an empty Buffer; it must hold PEM data`);
    return value.length === 0 ? undefined : value;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(`${name} is ${mayShow ? show(value) : typeOf(value)}; it must be a file path, a PEM string or a Buffer`);
    return undefined;
  }
  if (!pathOnly && value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(`${name} is the path ${show(value)}; it cannot be read (${code}): it must be a readable PEM file`);
    return undefined;
  }
}

function resolveCheck(check: ConsulRegistrarOptions['check'], problems: string[]): ResolvedCheck | undefined {
  const c = check ?? { type: 'ttl' };
  if (typeof c !== 'object' || c === null || (c.type !== 'ttl' && c.type !== 'http')) {
    problems.push(
      `consul.check is ${show(c)}; it must be { type: 'ttl', ttl?, heartbeatInterval? } or { type: 'http', url? or path?, interval?, timeout?, syncInterval? }`,
    );
    return undefined;
  }
  const before = problems.length;
  const duration = (name: string, value: unknown, fallback: number, min = 1): number => {
    const v = value ?? fallback;
    if (!isDuration(v, min)) {
      problems.push(`consul.check.${name} is ${show(v)}; it must be a whole number of milliseconds from ${min} to ${MAX_TIMER_MS}`);
    }
    return v as number;
  };
  if (c.type === 'ttl') {
    // Consul's TTL has one-second granularity in practice; shorter would flap.
    const ttl = duration('ttl', c.ttl, CONSUL_DEFAULTS.ttl, 1_000);
    const heartbeatInterval = duration('heartbeatInterval', c.heartbeatInterval, Math.floor(ttl / 3));
    if (problems.length === before && heartbeatInterval >= ttl) {
      problems.push(`consul.check.heartbeatInterval is ${heartbeatInterval}; it must be shorter than consul.check.ttl (${ttl}), ttl / 3 is usual`);
    }
    return problems.length === before ? { type: 'ttl', ttl, heartbeatInterval } : undefined;
  }
  if (c.url !== undefined && (typeof c.url !== 'string' || !/^https?:\/\//i.test(c.url) || !URL.canParse(c.url))) {
    problems.push(`consul.check.url is ${show(c.url)}; it must be an http(s) URL such as "http://10.0.0.5:3000/health/ready"`);
  }
  const path = c.path ?? '/health/ready';
  if (typeof path !== 'string' || !/^\/[^\s#]*$/.test(path)) {
    problems.push(`consul.check.path is ${show(path)}; it must be a path starting with "/", such as "/health/ready"`);
  }
  const interval = duration('interval', c.interval, CONSUL_DEFAULTS.httpInterval, 1_000);
  const timeout = duration('timeout', c.timeout, Math.min(CONSUL_DEFAULTS.httpTimeout, interval));
  const syncInterval = duration('syncInterval', c.syncInterval, CONSUL_DEFAULTS.syncInterval, 100);
  if (c.tlsSkipVerify !== undefined && typeof c.tlsSkipVerify !== 'boolean') {
    problems.push(`consul.check.tlsSkipVerify is ${show(c.tlsSkipVerify)}; it must be true or false`);
  }
  if (problems.length === before && timeout > interval) {
    problems.push(`consul.check.timeout is ${timeout}; it must be at most consul.check.interval (${interval})`);
  }
  return problems.length === before
    ? { type: 'http', url: c.url, path, interval, timeout, tlsSkipVerify: c.tlsSkipVerify ?? false, syncInterval }
    : undefined;
}
