import { Controller, Get, Inject, type Type } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { GracefulHealthIndicator } from './graceful-health.indicator.js';
import type { ResolvedGracefulHealthOptions } from './health-options.js';

/**
 * The ready-made controller of `GracefulHealthModule.forRoot()`. Nest reads routes from
 * decorators, so the class is built per module definition with the paths given there.
 */
export function createGracefulHealthController(
  paths: Exclude<ResolvedGracefulHealthOptions['controller'], false>,
  key: string,
): Type<unknown> {
  @Controller()
  class GracefulHealthController {
    constructor(
      @Inject(HealthCheckService) private readonly health: HealthCheckService,
      @Inject(GracefulHealthIndicator) private readonly indicator: GracefulHealthIndicator,
    ) {}

    /** 200 only in `ready`; 503 with the state, reason and registration otherwise. */
    @Get(paths.readyPath)
    @HealthCheck()
    ready(): Promise<HealthCheckResult> {
      return this.health.check([() => this.indicator.readiness(key)]);
    }

    /** 200 from start until exit, through the drain (for as long as the listener is open). */
    @Get(paths.livePath)
    @HealthCheck()
    live(): Promise<HealthCheckResult> {
      return this.health.check([() => this.indicator.liveness(key)]);
    }
  }
  return GracefulHealthController;
}
