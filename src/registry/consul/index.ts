export { ConsulRegistrar } from './consul-registrar.js';
export {
  CONSUL_DEFAULTS,
  type ConsulHttpCheckOptions,
  type ConsulRegistrarLogger,
  type ConsulRegistrarOptions,
  ConsulRegistrarOptionsError,
  type ConsulTtlCheckOptions,
  resolveConsulRegistrarOptions,
} from './consul-registrar-options.js';
export { ConsulRegistrarError, type ConsulOperation } from './consul-errors.js';
export { ConsulServiceDefinitionError } from './consul-service-definition.js';
