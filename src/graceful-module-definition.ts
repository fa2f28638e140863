import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { GracefulOptions } from './graceful-options.js';

export const {
  ConfigurableModuleClass: GracefulConfigurableModule,
  MODULE_OPTIONS_TOKEN: RAW_GRACEFUL_OPTIONS,
  OPTIONS_TYPE: GRACEFUL_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: GRACEFUL_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<GracefulOptions>({ moduleName: 'Graceful' })
  .setClassMethodName('forRoot')
  // Always global: one lifecycle per app, injectable anywhere.
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();
