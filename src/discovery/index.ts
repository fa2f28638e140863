export { GracefulDiscoveryModule } from './graceful-discovery.module.js';
export type {
  GracefulDiscoveryModuleOptions,
  ServiceClientRegistration,
} from './discovery-module-options.interface.js';
export { DISCOVERY, getServiceClientToken } from './discovery.constants.js';
export { InjectServiceClient } from './inject-service-client.decorator.js';
export { GracefulDiscoveryOptionsError, ServiceClients } from './service-clients.service.js';
export { ServiceClient, type ServiceRequestOptions, type ServiceResponse } from './service-client.js';
export {
  SERVICE_CLIENT_DEFAULTS,
  type ServiceClientOptions,
  ServiceClientOptionsError,
} from './service-client-options.js';
export type { BalancerName } from './balancer.js';
export { ServiceRequestError, type FailedAttempt, type ServiceRequestFailure } from './service-request.error.js';
export { StaticDiscovery } from './static-discovery.js';
export { ConsulDiscovery } from '../registry/consul/consul-discovery.js';
export {
  CONSUL_DISCOVERY_DEFAULTS,
  type ConsulConnectionOptions,
  type ConsulDiscoveryLogger,
  type ConsulDiscoveryOptions,
  ConsulDiscoveryOptionsError,
  resolveConsulDiscoveryOptions,
} from '../registry/consul/consul-discovery-options.js';
export { ConsulDiscoveryError } from '../registry/consul/consul-errors.js';
export type { Discovery, Watcher } from '../registry/discovery.interface.js';
export type { ServiceInstance } from '../registry/service-instance.interface.js';
