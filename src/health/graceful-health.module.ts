import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { createGracefulHealthController } from './graceful-health.controller.js';
import { GracefulHealthIndicator } from './graceful-health.indicator.js';
import { validateHealthOptions, type GracefulHealthOptions } from './health-options.js';

// Our own Terminus instance, silent: a readiness probe answered 503 while starting or draining
// is expected, not an error to log on every poll (the lifecycle logs its own transitions).
const terminus = TerminusModule.forRoot({ logger: false });

/**
 * The health side of nestjs-graceful (needs `@nestjs/terminus`, an optional peer dependency).
 *
 * - `imports: [GracefulHealthModule]`: the {@link GracefulHealthIndicator} only, for your own
 *   `@HealthCheck()` controller.
 * - `imports: [GracefulHealthModule.forRoot({ controller: { readyPath, livePath } })]`: the
 *   indicator and a ready-made controller (default `GET /health/ready`, `GET /health/live`).
 *
 * Its options are static even when GracefulModule uses `forRootAsync()`: Nest reads
 * controllers and their routes from module metadata before any async provider resolves.
 */
@Module({
  imports: [terminus],
  providers: [GracefulHealthIndicator],
  exports: [GracefulHealthIndicator],
})
export class GracefulHealthModule {
  static forRoot(options: GracefulHealthOptions = {}): DynamicModule {
    const { controller, key } = validateHealthOptions(options);
    return {
      module: GracefulHealthModule,
      imports: [terminus],
      providers: [GracefulHealthIndicator],
      exports: [GracefulHealthIndicator],
      controllers: controller ? [createGracefulHealthController(controller, key)] : [],
    };
  }
}
