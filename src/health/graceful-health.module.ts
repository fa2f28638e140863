import { type DynamicModule, type FactoryProvider, Module, type Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { HEALTH_OPTION_PROBLEMS, HEALTH_ROUTE_CHECK } from './health.constants.js';
import { createGracefulHealthController } from './graceful-health.controller.js';
import { GracefulHealthIndicator } from './graceful-health.indicator.js';
import { warnOnDuplicateHealthRoutes } from './health-route-check.js';
import {
  checkHealthOptions,
  type GracefulHealthOptions,
  type ResolvedGracefulHealthOptions,
} from './health-options.js';

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
    const readyMade = readyMadeController(resolved);
    return {
      module: GracefulHealthModule,
      imports: [terminus, ...(problems.length > 0 ? [problemsModule] : [])],
      providers: [GracefulHealthIndicator, ...readyMade.providers],
      exports: [GracefulHealthIndicator],
      controllers: readyMade.controllers,
    };
  }
}

/** The ready-made controller, and the provider that warns at start of another controller on its paths. */
function readyMadeController(options: ResolvedGracefulHealthOptions | undefined): {
  controllers: Type<unknown>[];
  providers: FactoryProvider[];
} {
  if (!options?.controller) return { controllers: [], providers: [] };
  const { readyPath, livePath } = options.controller;
  const controller = createGracefulHealthController(options.controller, options.key);
  const routeCheck: FactoryProvider = {
    provide: HEALTH_ROUTE_CHECK,
    inject: [ModulesContainer],
    useFactory: (modules: ModulesContainer) => warnOnDuplicateHealthRoutes(modules, controller, [readyPath, livePath]),
  };
  return { controllers: [controller], providers: [routeCheck] };
}
