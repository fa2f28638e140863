import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INFO } from './app-info/app-info.js';
import { buildAppInfo } from './app-info/build-app-info.js';
import { DRAIN_PROVIDERS } from './drain/drain.providers.js';
import { GracefulInterceptor } from './drain/graceful.interceptor.js';
import { StopSignals } from './drain/stop-signals.service.js';
import { WorkTracker } from './drain/work-tracker.service.js';
import {
  GRACEFUL_ASYNC_OPTIONS_TYPE,
  GRACEFUL_OPTIONS_TYPE,
  GracefulConfigurableModule,
  sealSecrets,
} from './graceful-module-definition.js';
import type { ResolvedGracefulOptions } from './graceful-options.js';
import { gracefulOptionsProvider } from './graceful-options.provider.js';
import { TerminusShutdownWait } from './health/terminus-shutdown-wait.js';
import { GracefulLifecycle } from './lifecycle/graceful-lifecycle.js';
import { GRACEFUL_OPTIONS } from './lifecycle/lifecycle.constants.js';
import { LifecycleService } from './lifecycle/lifecycle.service.js';

/**
 * `GracefulModule.forRoot(options)` / `forRootAsync({ imports, inject, useFactory })`:
 * a global module giving the app kratos' lifecycle (see the README).
 */
@Module({
  providers: [
    gracefulOptionsProvider,
    {
      provide: APP_INFO,
      inject: [GRACEFUL_OPTIONS],
      useFactory: (options: ResolvedGracefulOptions) => buildAppInfo(options),
    },
    ...DRAIN_PROVIDERS,
    LifecycleService,
    { provide: GracefulLifecycle, useExisting: LifecycleService },
    // No import of @nestjs/terminus: moves Terminus' gracefulShutdownTimeoutMs into shutdownDelay when present.
    TerminusShutdownWait,
  ],
  exports: [GRACEFUL_OPTIONS, APP_INFO, StopSignals, WorkTracker, GracefulLifecycle, GracefulInterceptor],
})
export class GracefulModule extends GracefulConfigurableModule {
  /** The module with these options (see {@link GracefulOptions}). */
  static override forRoot(options: typeof GRACEFUL_OPTIONS_TYPE = {}): DynamicModule {
    return sealSecrets(super.forRoot(options));
  }

  /** The module with options from a factory: `{ imports, inject, useFactory }` (or `useClass` / `useExisting`). */
  static override forRootAsync(options: typeof GRACEFUL_ASYNC_OPTIONS_TYPE): DynamicModule {
    return sealSecrets(super.forRootAsync(options));
  }
}
