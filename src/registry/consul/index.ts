export { ConsulRegistrar } from './consul-registrar.js';
export { CONSUL_DEFAULTS } from './consul-defaults.js';
export {
  type ConsulHttpCheckOptions,
  type ConsulRegistrarLogger,
  type ConsulRegistrarOptions,
  ConsulRegistrarOptionsError,
  type ConsulTtlCheckOptions,
} from './consul-registrar-options.js';
export { ConsulRegistrarError, type ConsulOperation } from './consul-errors.js';
export { ConsulServiceDefinitionError } from './consul-service-definition.js';
