export { ConsulRegistrar } from './consul-registrar';
export {
  CONSUL_DEFAULTS,
  type ConsulGrpcCheckOptions,
  type ConsulHttpCheckOptions,
  type ConsulRegistrarLogger,
  type ConsulRegistrarOptions,
  ConsulRegistrarOptionsError,
  type ConsulTtlCheckOptions,
  resolveConsulRegistrarOptions,
} from './consul-registrar-options';
export { ConsulRegistrarError, type ConsulOperation } from './consul-errors';
export { ConsulServiceDefinitionError } from './consul-service-definition';
