import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HEALTH_OPTION_PROBLEMS } from './health.constants.js';
import { createGracefulHealthController } from './graceful-health.controller.js';
import { GracefulHealthIndicator } from './graceful-health.indicator.js';
import { checkHealthOptions, type GracefulHealthOptions } from './health-options.js';

// Our own Terminus instance, silent: a readiness probe answered 503 while starting or draining
// is expected, not an error to log on every poll (the lifecycle logs its own transitions).
const terminus = TerminusModule.forRoot({ logger: false });

/** Carries bad health options to GracefulModule, which throws them with its own at bootstrap. */
@Module({})
class GracefulHealthOptionProblemsModule {}

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
 * Bad options fail the bootstrap in GracefulModule's {@link GracefulOptionsError}, listed
 * with every other problem.
 */
@Module({
  imports: [terminus],
  providers: [GracefulHealthIndicator],
  exports: [GracefulHealthIndicator],
})
export class GracefulHealthModule {
  static forRoot(options: GracefulHealthOptions = {}): DynamicModule {
    const { options: resolved, problems } = checkHealthOptions(options);
    const problemsModule: DynamicModule = {
      module: GracefulHealthOptionProblemsModule,
      global: true,
      providers: [{ provide: HEALTH_OPTION_PROBLEMS, useValue: problems }],
      exports: [HEALTH_OPTION_PROBLEMS],
    };
    return {
      module: GracefulHealthModule,
      imports: [terminus, ...(problems.length > 0 ? [problemsModule] : [])],
      providers: [GracefulHealthIndicator],
      exports: [GracefulHealthIndicator],
      controllers: resolved?.controller ? [createGracefulHealthController(resolved.controller, resolved.key)] : [],
    };
  }
}
