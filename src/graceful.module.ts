import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INFO } from './app-info/app-info';
import { buildAppInfo } from './app-info/build-app-info';
import { DRAIN_PROVIDERS } from './drain/drain.providers';
import { GracefulInterceptor } from './drain/graceful.interceptor';
import { StopSignals } from './drain/stop-signals.service';
import { WorkTracker } from './drain/work-tracker.service';
import { GRACEFUL_ASYNC_OPTIONS_TYPE, GRACEFUL_OPTIONS_TYPE, GracefulConfigurableModule, sealSecrets } from './graceful-module-definition';
import type { ResolvedGracefulOptions } from './graceful-options';
import { gracefulOptionsProvider } from './graceful-options.provider';
import { TerminusShutdownWait } from './health/terminus-shutdown-wait';
import { GracefulLifecycle } from './lifecycle/graceful-lifecycle';
import { GRACEFUL_OPTIONS } from './lifecycle/lifecycle.constants';
import { LifecycleService } from './lifecycle/lifecycle.service';

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
