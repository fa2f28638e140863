import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import { DISCOVERY, getServiceClientToken } from './discovery.constants.js';
import { DISCOVERY_MODULE_OPTIONS, GracefulDiscoveryConfigurableModule } from './discovery-module-definition.js';
import type {
  GracefulDiscoveryModuleOptions,
  ServiceClientRegistration,
} from './discovery-module-options.interface.js';
import { createDiscovery, ServiceClients } from './service-clients.service.js';

/**
 * `GracefulDiscoveryModule.forRoot({ consul: {} })` (or `forRootAsync`) once, global; then
 * `GracefulDiscoveryModule.forFeature(['orders'])` where a service is called, and
 * `@InjectServiceClient('orders') orders: ServiceClient`.
 */
@Module({
  providers: [
    {
      provide: DISCOVERY,
      inject: [DISCOVERY_MODULE_OPTIONS],
      useFactory: (options: GracefulDiscoveryModuleOptions) =>
        createDiscovery(options, new Logger('GracefulDiscovery')),
    },
    ServiceClients,
  ],
  exports: [DISCOVERY, ServiceClients],
})
export class GracefulDiscoveryModule extends GracefulDiscoveryConfigurableModule {
  /**
   * A `ServiceClient` per entry, injectable with `@InjectServiceClient(name)`. Needs `forRoot()` somewhere in the app.
   */
  static forFeature(services: readonly (string | ServiceClientRegistration)[]): DynamicModule {
    const providers: Provider[] = services.map((entry) => {
      const { service, ...options } = typeof entry === 'string' ? { service: entry } : entry;
      return {
        provide: getServiceClientToken(service),
        inject: [ServiceClients],
        useFactory: (clients: ServiceClients) => clients.get(service, options),
      };
    });
    return { module: GracefulDiscoveryFeatureModule, providers, exports: providers };
  }
}

/** @internal The module forFeature() returns: the clients only, never a second Discovery. */
@Module({})
export class GracefulDiscoveryFeatureModule {}
