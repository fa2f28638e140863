import { Pool } from 'undici';
import type { Discovery, Watcher } from '../discovery.interface.js';
import type { ServiceInstance } from '../service-instance.interface.js';
import { formatConsulAddress } from './consul-address.js';
import {
  type ConsulDiscoveryOptions,
  type ResolvedConsulDiscoveryOptions,
  resolveConsulDiscoveryOptions,
} from './consul-discovery-options.js';
import { ConsulDiscoveryError, describeClientError, scrub } from './consul-errors.js';
import { type ConsulHealthEntry, instanceFromHealthEntry } from './consul-health-entry.js';
import { ConsulWatch, type HealthAnswer } from './consul-watch.js';

/** Consul 1.14 answers 500, not 400, to a filter it cannot parse. */
const BAD_FILTER = /Failed to create boolean expression evaluator/i;

/** Bound of a non-blocking query, and the margin over a blocking query's wait. */
const QUERY_TIMEOUT_MS = 10_000;

/**
 * Finds instances in Consul: `/v1/health/service/<name>?passing`, so an instance whose check
 * is not passing (a TTL that lapsed, a readiness check that fails) is never returned.
 * `watch()` follows a service with blocking queries (see ConsulWatch).
 *
 * Queries go through undici with our own pool, so `close()` ends exactly our sockets, and
 * errors are told apart by their `code` and status, never by `instanceof`.
 */
export class ConsulDiscovery implements Discovery {
  readonly options: Readonly<ResolvedConsulDiscoveryOptions>;
  private readonly pool: Pool;
  private readonly agentLabel: string;
  private readonly watches = new Set<ConsulWatch>();
  private readonly warnedAnonymous = new Set<string>();
  private closed = false;

  constructor(options?: ConsulDiscoveryOptions, env: Readonly<Record<string, string | undefined>> = process.env) {
    this.options = resolveConsulDiscoveryOptions(options, env);
    const { address, tls } = this.options;
    this.agentLabel = formatConsulAddress(address);
    this.pool = new Pool(this.agentLabel, address.secure ? { connect: { ...tls } } : {});
  }

  async getService(name: string, signal?: AbortSignal): Promise<ServiceInstance[]> {
    this.assertOpen(name);
    return (await this.query(name, 0, signal ?? AbortSignal.timeout(QUERY_TIMEOUT_MS), 'lookup')).instances;
  }

  watch(name: string): Watcher {
    this.assertOpen(name);
    const { retryDelay, retryMaxDelay, logger } = this.options;
    const watch: ConsulWatch = new ConsulWatch(name, (index, signal) => this.query(name, index, signal, 'watch'), {
      retryDelay,
      retryMaxDelay,
      logger,
      agent: this.agentLabel,
      onStop: () => this.watches.delete(watch),
    });
    this.watches.add(watch);
    return watch;
  }

  /** Stops every watch and closes the sockets to the agent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.watches].map((w) => w.stop()));
    await this.pool.destroy();
  }

  private async query(
    name: string,
    index: number,
    signal: AbortSignal,
    verb: 'watch' | 'lookup',
  ): Promise<HealthAnswer> {
    const { token, datacenter, filter, wait } = this.options;
    const params = new URLSearchParams();
    if (index > 0) {
      params.set('index', String(index));
      params.set('wait', `${wait}ms`);
    }
    if (datacenter) params.set('dc', datacenter);
    if (filter) params.set('filter', filter);
    const query = params.size > 0 ? `&${params}` : '';
    // Consul adds up to wait/16 of jitter to a blocking query.
    const timeout = index > 0 ? wait + Math.ceil(wait / 16) + QUERY_TIMEOUT_MS : QUERY_TIMEOUT_MS;
    let status: number;
    let body: string;
    let headers: Record<string, string | string[] | undefined>;
    try {
      const res = await this.pool.request({
        method: 'GET',
        path: `/v1/health/service/${encodeURIComponent(name)}?passing${query}`,
        headers: token === undefined ? {} : { 'x-consul-token': token },
        signal,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      status = res.statusCode;
      headers = res.headers;
      body = await res.body.text();
    } catch (err) {
      if (signal.aborted)
        throw new ConsulDiscoveryError(`the ${verb} of "${name}" was aborted`, name, {
          aborted: true,
          abortReason: signal.reason,
        });
      throw this.error(name, verb, err);
    }
    if (status !== 200)
      throw this.error(
        name,
        verb,
        { statusCode: status, message: body.trim() || `status ${status}` },
        BAD_FILTER.test(body),
      );
    if (headers['x-consul-results-filtered-by-acls'] === 'true') {
      throw new ConsulDiscoveryError(
        `Consul hid instances of "${name}" from the ${verb} (X-Consul-Results-Filtered-By-ACLs): the ACL token lacks ` +
          `service:read on it or node:read on their nodes`,
        name,
        { statusCode: 403 },
      );
    }
    const entries = JSON.parse(body) as ConsulHealthEntry[];
    // Consul filters an anonymous read silently (no header says so): an empty list may be ACLs at work.
    if (
      entries.length === 0 &&
      token === undefined &&
      headers['x-consul-default-acl-policy'] === 'deny' &&
      !this.warnedAnonymous.has(name)
    ) {
      this.warnedAnonymous.add(name);
      this.options.logger.warn(
        `Consul lists no instance of "${name}", and its ACLs deny by default while no token is set: give ` +
          `consul.token (or CONSUL_HTTP_TOKEN) with service:read and node:read if instances are missing`,
      );
    }
    return { index: Number(headers['x-consul-index'] ?? 0) || 0, instances: entries.map(instanceFromHealthEntry) };
  }

  private error(name: string, verb: string, err: unknown, refused?: boolean): ConsulDiscoveryError {
    const { message, details } = describeClientError(err, {
      verb,
      permission: 'service:read (and node:read on its nodes)',
      subject: name,
      serviceName: name,
      agent: this.agentLabel,
      token: this.options.token,
    });
    return new ConsulDiscoveryError(scrub(message, this.options.token), name, details, refused || undefined);
  }

  private assertOpen(name: string): void {
    if (this.closed) throw new ConsulDiscoveryError(`cannot look up "${name}": the Consul discovery is closed`, name);
  }
}
