import { Logger, Module } from '@nestjs/common';
import { APP_INFO } from './app-info/app-info';
import { buildAppInfo } from './app-info/build-app-info';
import { DRAIN_PROVIDERS } from './drain/drain.providers';
import { GracefulInterceptor } from './drain/graceful.interceptor';
import { StopSignals } from './drain/stop-signals.service';
import { WorkTracker } from './drain/work-tracker.service';
import { GracefulConfigurableModule, RAW_GRACEFUL_OPTIONS } from './graceful-module-definition';
import type { GracefulOptions, ResolvedGracefulOptions } from './graceful-options';
import { TerminusShutdownWait } from './health/terminus-shutdown-wait';
import { GracefulLifecycle } from './lifecycle/graceful-lifecycle';
import { GRACEFUL_OPTIONS } from './lifecycle/lifecycle.constants';
import { LifecycleService } from './lifecycle/lifecycle.service';
import { ConsulRegistrar } from './registry/consul/consul-registrar';
import { validateOptions } from './validate-options';

/**
 * `GracefulModule.forRoot(options)` / `forRootAsync({ imports, inject, useFactory })`:
 * a global module giving the app kratos' lifecycle (see README and LIFECYCLE.md).
 */
@Module({
  providers: [
    {
      provide: GRACEFUL_OPTIONS,
      inject: [RAW_GRACEFUL_OPTIONS],
      useFactory: (raw: GracefulOptions): ResolvedGracefulOptions => {
        const options = validateOptions(raw);
        if (raw?.consul) options.registrar = new ConsulRegistrar({ logger: new Logger('GracefulConsul'), ...raw.consul });
        return options;
      },
    },
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
export class GracefulModule extends GracefulConfigurableModule {}
