// The nestjs-graceful/consul entry: the Consul registrar, its options and its errors. It loads
// the `consul` package, an optional peer dependency (the main entry never does).
export { ConsulRegistrar } from './consul-registrar.js';
export { CONSUL_DEFAULTS } from './consul-defaults.js';
export {
  type ConsulGrpcCheckOptions,
  type ConsulHttpCheckOptions,
  type ConsulRegistrarLogger,
  type ConsulRegistrarOptions,
  ConsulRegistrarOptionsError,
  type ConsulTtlCheckOptions,
} from './consul-registrar-options.js';
export { ConsulRegistrarError, type ConsulOperation } from './consul-errors.js';
export { ConsulServiceDefinitionError } from './consul-service-definition.js';
