export { GracefulDiscoveryModule } from './graceful-discovery.module';
export type { GracefulDiscoveryModuleOptions, ServiceClientRegistration } from './discovery-module-options.interface';
export { DISCOVERY, getServiceClientToken } from './discovery.constants';
export { InjectServiceClient } from './inject-service-client.decorator';
export { ServiceClients } from './service-clients.service';
export { ServiceClient, type ServiceRequestOptions, type ServiceResponse } from './service-client';
export {
  SERVICE_CLIENT_DEFAULTS,
  type ServiceClientOptions,
  ServiceClientOptionsError,
} from './service-client-options';
export type { BalancerName } from './balancer';
export { ServiceRequestError, type FailedAttempt, type ServiceRequestFailure } from './service-request.error';
export { ConsulDiscovery } from '../registry/consul/consul-discovery';
export {
  CONSUL_DISCOVERY_DEFAULTS,
  type ConsulDiscoveryLogger,
  type ConsulDiscoveryOptions,
  ConsulDiscoveryOptionsError,
  resolveConsulDiscoveryOptions,
} from '../registry/consul/consul-discovery-options';
export { ConsulDiscoveryError } from '../registry/consul/consul-errors';
export type { Discovery, Watcher } from '../registry/discovery.interface';
export type { ServiceInstance } from '../registry/service-instance.interface';
export type { ConsulConnectionOptions } from '../registry/consul/consul-connection-options';
