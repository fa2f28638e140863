import { Logger, Module } from '@nestjs/common';
import { APP_INFO } from './app-info/app-info.js';
import { buildAppInfo } from './app-info/build-app-info.js';
import { GracefulInterceptor } from './drain/graceful.interceptor.js';
import { WorkTracker } from './drain/work-tracker.js';
import { GracefulConfigurableModule, RAW_GRACEFUL_OPTIONS } from './graceful-module-definition.js';
import type { GracefulOptions, ResolvedGracefulOptions } from './graceful-options.js';
import { TerminusShutdownWait } from './health/terminus-shutdown-wait.js';
import { DrainService } from './drain/drain.service.js';
import { GracefulLifecycle } from './lifecycle/graceful-lifecycle.js';
import { GRACEFUL_OPTIONS } from './lifecycle/lifecycle.constants.js';
import { LifecycleService } from './lifecycle/lifecycle.service.js';
import { createConsulRegistrar } from './registry/consul/load-consul-registrar.js';
import { StopSignals } from './lifecycle/stop-signals.js';
import { validateOptions } from './validate-options.js';

/**
 * `GracefulModule.forRoot(options)` / `forRootAsync({ imports, inject, useFactory })`:
 * a global module giving the app kratos' lifecycle (see README and LIFECYCLE.md).
 */
@Module({
  providers: [
    {
      provide: GRACEFUL_OPTIONS,
      inject: [RAW_GRACEFUL_OPTIONS],
      // Async: the `consul` option loads the Consul registrar and its client only when set.
      useFactory: async (raw: GracefulOptions): Promise<ResolvedGracefulOptions> => {
        const options = validateOptions(raw);
        if (raw?.consul) options.registrar = await createConsulRegistrar({ logger: new Logger('GracefulConsul'), ...raw.consul });
        return options;
      },
    },
    {
      provide: APP_INFO,
      inject: [GRACEFUL_OPTIONS],
      useFactory: (options: ResolvedGracefulOptions) => buildAppInfo(options),
    },
    StopSignals,
    WorkTracker,
    DrainService,
    LifecycleService,
    { provide: GracefulLifecycle, useExisting: LifecycleService },
    GracefulInterceptor,
    // No import of @nestjs/terminus: moves Terminus' gracefulShutdownTimeoutMs into shutdownDelay when present.
    TerminusShutdownWait,
  ],
  exports: [GRACEFUL_OPTIONS, APP_INFO, StopSignals, WorkTracker, GracefulLifecycle, GracefulInterceptor],
})
export class GracefulModule extends GracefulConfigurableModule {}
