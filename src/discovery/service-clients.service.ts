import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Discovery } from '../registry/discovery.interface.js';
import { OptionProblemsError } from '../common/option-problem.js';
import { ConsulDiscovery } from '../registry/consul/consul-discovery.js';
import {
  ConsulDiscoveryOptionsError,
  resolveConsulDiscoveryOptions,
} from '../registry/consul/consul-discovery-options.js';
import { DISCOVERY } from './discovery.constants.js';
import { DISCOVERY_MODULE_OPTIONS } from './discovery-module-definition.js';
import type { GracefulDiscoveryModuleOptions } from './discovery-module-options.interface.js';
import { ServiceClient } from './service-client.js';
import {
  clientDefaultsProblems,
  resolveServiceClientOptions,
  type ServiceClientOptions,
} from './service-client-options.js';

/**
 * Thrown at bootstrap by `GracefulDiscoveryModule.forRoot()`: every problem of its options (`consul` and `client`
 * alike) at once.
 */
export class GracefulDiscoveryOptionsError extends OptionProblemsError {
  constructor(problems: string[]) {
    super('nestjs-graceful: invalid GracefulDiscoveryModule.forRoot() options', problems);
    this.name = 'GracefulDiscoveryOptionsError';
  }
}

/** @internal Builds the module's Discovery from its options; lists every wrong one in one error. */
export function createDiscovery(options: GracefulDiscoveryModuleOptions, logger: Logger): Discovery {
  const given = options !== null && typeof options === 'object';
  const problems = given ? clientDefaultsProblems(options.client) : [];
  if (!given || (options.consul === undefined) === (options.discovery === undefined)) {
    problems.unshift(
      'it needs exactly one of consul (e.g. { consul: {} } to read CONSUL_HTTP_ADDR) or discovery (your own Discovery)',
    );
  } else if (options.consul !== undefined) {
    try {
      resolveConsulDiscoveryOptions({ logger, ...options.consul });
    } catch (err) {
      if (!(err instanceof ConsulDiscoveryOptionsError)) throw err;
      problems.unshift(...err.problems);
    }
  }
  if (problems.length > 0) throw new GracefulDiscoveryOptionsError(problems);
  return options.discovery ?? new ConsulDiscovery({ logger, ...options.consul });
}

/**
 * One client per service for the whole app, closed with the Discovery the module made at
 * `onApplicationShutdown`: after every `onModuleDestroy`, which may still call a service,
 * and (with GracefulModule) after the drain.
 */
@Injectable()
export class ServiceClients implements OnApplicationShutdown {
  private readonly clients = new Map<string, ServiceClient>();
  private readonly logger = new Logger('GracefulDiscovery');

  constructor(
    @Inject(DISCOVERY) private readonly discovery: Discovery,
    @Inject(DISCOVERY_MODULE_OPTIONS) private readonly options: GracefulDiscoveryModuleOptions,
  ) {}

  /** The client of `service`; created (and its watch started) on the first call. */
  get(service: string, options?: ServiceClientOptions): ServiceClient {
    const existing = this.clients.get(service);
    if (existing) return existing;
    const resolved = resolveServiceClientOptions(service, options, this.options.client);
    const client = new ServiceClient(service, this.discovery, resolved, this.logger);
    this.clients.set(service, client);
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.close()));
    if (this.discovery instanceof ConsulDiscovery && this.options.discovery === undefined) await this.discovery.close();
  }
}
