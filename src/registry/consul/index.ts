export { ConsulRegistrar } from './consul-registrar';
export { CONSUL_DEFAULTS } from './consul-defaults';
export {
  type ConsulHttpCheckOptions,
  type ConsulRegistrarLogger,
  type ConsulRegistrarOptions,
  ConsulRegistrarOptionsError,
  type ConsulTtlCheckOptions,
} from './consul-registrar-options';
export { ConsulRegistrarError, type ConsulOperation } from './consul-errors';
export { ConsulServiceDefinitionError } from './consul-service-definition';
