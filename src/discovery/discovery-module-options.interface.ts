import type { Discovery } from '../registry/discovery.interface.js';
import type { ConsulDiscoveryOptions } from '../registry/consul/consul-discovery-options.js';
import type { ServiceClientOptions } from './service-client-options.js';

/** `GracefulDiscoveryModule.forRoot()`: where instances are found, and the clients' defaults. */
export interface GracefulDiscoveryModuleOptions {
  /** Find instances in Consul. `{}` reads `CONSUL_HTTP_ADDR`, `CONSUL_HTTP_TOKEN`, … like the registrar. */
  consul?: ConsulDiscoveryOptions;
  /** Or your own Discovery (exclusive with `consul`); the module does not close it. */
  discovery?: Discovery;
  /** Defaults for every service client; `forFeature()` entries override them. */
  client?: ServiceClientOptions;
}

/** One entry of `forFeature()`: a service name, with options of its own. */
export interface ServiceClientRegistration extends ServiceClientOptions {
  service: string;
}
