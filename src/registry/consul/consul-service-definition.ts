import { stripBrackets } from '../../common/host.js';
import type { ServiceInstance } from '../service-instance.interface.js';
import type { ResolvedConsulRegistrarOptions } from './consul-registrar-options.js';

/**
 * The body of `PUT /v1/agent/service/register`, in the lower-case keys the `consul` npm client
 * maps to Consul's (`checkid` → `CheckID`, …).
 */
export interface ConsulServiceRegistration {
  id: string;
  name: string;
  tags: string[];
  meta: Record<string, string>;
  address?: string;
  port?: number;
  check: ConsulCheckRegistration;
}

export interface ConsulCheckRegistration {
  checkid: string;
  name: string;
  ttl?: string;
  http?: string;
  grpc?: string;
  grpcusetls?: boolean;
  interval?: string;
  timeout: string;
  tlsskipverify?: boolean;
  deregistercriticalserviceafter: string;
}

/** Consul refuses Meta keys outside this set, longer than 128 characters or starting with "consul-". */
const META_KEY = /^[A-Za-z0-9_-]{1,128}$/;
const META_VALUE_MAX = 512;
const META_PAIRS_MAX = 64;

export class ConsulServiceDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsulServiceDefinitionError';
  }
}

export const checkIdOf = (instance: Pick<ServiceInstance, 'id'>): string => `service:${instance.id}`;

/** Go duration syntax; Consul parses milliseconds fine. */
const goDuration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

export function buildServiceRegistration(
  instance: ServiceInstance,
  options: Pick<ResolvedConsulRegistrarOptions, 'tags' | 'check' | 'deregisterCriticalServiceAfter'>,
): ConsulServiceRegistration {
  const meta = buildMeta(instance);
  const endpoint = primaryEndpoint(instance.endpoints);
  const registration: ConsulServiceRegistration = {
    id: instance.id,
    name: instance.name,
    tags: [...options.tags],
    meta,
    check: buildCheck(instance, options),
  };
  if (endpoint) {
    registration.address = endpoint.address;
    if (endpoint.port !== undefined) registration.port = endpoint.port;
  }
  return registration;
}

function buildCheck(
  instance: ServiceInstance,
  options: Pick<ResolvedConsulRegistrarOptions, 'check' | 'deregisterCriticalServiceAfter'>,
): ConsulCheckRegistration {
  const common = {
    checkid: checkIdOf(instance),
    deregistercriticalserviceafter: goDuration(options.deregisterCriticalServiceAfter),
  };
  const check = options.check;
  if (check.type === 'ttl') {
    // The client's typings require a timeout although Consul ignores it for TTL checks.
    return {
      ...common,
      name: `${instance.name} heartbeat`,
      ttl: goDuration(check.ttl),
      timeout: goDuration(check.ttl),
    };
  }
  const polled = {
    ...common,
    name: `${instance.name} readiness`,
    interval: goDuration(check.interval),
    timeout: goDuration(check.timeout),
    tlsskipverify: check.tlsSkipVerify,
  };
  if (check.type === 'http') return { ...polled, http: check.url ?? readinessUrl(instance.endpoints, check.path) };
  const { target, tls } = grpcTarget(check, instance.endpoints);
  // Consul's syntax: host:port for the whole server, host:port/service for one service.
  return { ...polled, grpc: check.service === '' ? target : `${target}/${check.service}`, grpcusetls: tls };
}

/**
 * The given target, else the instance's `grpc://` (then `grpcs://`, TLS by default) endpoint, known by registration
 * time.
 */
function grpcTarget(
  check: { target?: string; tls?: boolean },
  endpoints: readonly string[],
): { target: string; tls: boolean } {
  if (check.target !== undefined) return { target: check.target, tls: check.tls ?? false };
  const endpoint = endpoints.find((e) => schemeOf(e) === 'grpc') ?? endpoints.find((e) => schemeOf(e) === 'grpcs');
  const url = endpoint !== undefined && URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (!url || url.port === '' || url.hostname === '') {
    throw new ConsulServiceDefinitionError(
      `a gRPC check needs consul.check.target, or a grpc://host:port endpoint (the endpoints option); the instance ` +
        `has ${JSON.stringify(endpoints)}`,
    );
  }
  return { target: url.host, tls: check.tls ?? url.protocol === 'grpcs:' };
}

/** kratos-style: version, the caller's metadata, and every endpoint under `endpoint_<scheme>`. */
function buildMeta(instance: ServiceInstance): Record<string, string> {
  const meta: Record<string, string> = { version: instance.version, ...instance.metadata };
  const perScheme = new Map<string, number>();
  for (const endpoint of instance.endpoints) {
    const scheme = schemeOf(endpoint).replace(/[^A-Za-z0-9_-]/g, '_');
    const seen = (perScheme.get(scheme) ?? 0) + 1;
    perScheme.set(scheme, seen);
    meta[seen === 1 ? `endpoint_${scheme}` : `endpoint_${scheme}_${seen}`] = endpoint;
  }
  const entries = Object.entries(meta);
  if (entries.length > META_PAIRS_MAX) {
    throw new ConsulServiceDefinitionError(
      `Consul allows at most ${META_PAIRS_MAX} Meta pairs; version, metadata and endpoints of "${instance.id}" make ` +
        `${entries.length}`,
    );
  }
  for (const [key, value] of entries) {
    if (!META_KEY.test(key) || key.toLowerCase().startsWith('consul-')) {
      throw new ConsulServiceDefinitionError(
        `metadata key ${JSON.stringify(key)} cannot be a Consul Meta key: it must be 1-128 of A-Z a-z 0-9 _ - and ` +
          `not start with "consul-"`,
      );
    }
    if (value.length > META_VALUE_MAX) {
      throw new ConsulServiceDefinitionError(
        `metadata ${JSON.stringify(key)} is ${value.length} characters long; Consul allows at most ${META_VALUE_MAX}`,
      );
    }
  }
  return meta;
}

const schemeOf = (endpoint: string): string => {
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(endpoint);
  return match ? match[1].toLowerCase() : 'unknown';
};

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

const httpEndpoint = (endpoints: readonly string[]): string | undefined =>
  endpoints.find((e) => schemeOf(e) === 'http') ?? endpoints.find((e) => schemeOf(e) === 'https');

/** `path` on the instance's own HTTP endpoint, known by registration time (it follows listen()). */
function readinessUrl(endpoints: readonly string[], path: string): string {
  const base = httpEndpoint(endpoints);
  if (!base) {
    throw new ConsulServiceDefinitionError(
      `an HTTP check needs consul.check.url, or an http(s) endpoint to put "${path}" on; the instance has ` +
        `${JSON.stringify(endpoints)}`,
    );
  }
  return new URL(path, base).toString();
}

/** The HTTP endpoint (http, then https), else the first one: Consul keeps one Address and Port. */
function primaryEndpoint(endpoints: readonly string[]): { address: string; port?: number } | undefined {
  const chosen = httpEndpoint(endpoints) ?? endpoints[0];
  if (chosen === undefined || !URL.canParse(chosen)) return undefined;
  const url = new URL(chosen);
  const address = stripBrackets(url.hostname);
  if (address === '') return undefined;
  const port = url.port !== '' ? Number(url.port) : DEFAULT_PORTS[url.protocol.slice(0, -1)];
  return port === undefined ? { address } : { address, port };
}
