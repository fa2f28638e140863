import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { GracefulDiscoveryModuleOptions } from './discovery-module-options.interface.js';

/** The configurable base of GracefulDiscoveryModule (forRoot / forRootAsync) and its options token. */
export const {
  ConfigurableModuleClass: GracefulDiscoveryConfigurableModule,
  MODULE_OPTIONS_TOKEN: DISCOVERY_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<GracefulDiscoveryModuleOptions>({ moduleName: 'GracefulDiscovery' })
  .setClassMethodName('forRoot')
  // Global: forFeature() modules anywhere in the app reach the one Discovery.
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();
