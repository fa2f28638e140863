import { Inject, Injectable, Optional, ServiceUnavailableException } from '@nestjs/common';
import { type HealthCheckResult, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { GracefulLifecycle } from '../lifecycle/graceful-lifecycle.js';
import type { LifecycleState } from '../lifecycle/lifecycle-state.interface.js';
import { livenessOf, readinessOf, type LifecycleVerdict } from './health-details.js';

/** The states from the stop signal on. */
const STOPPING: ReadonlySet<LifecycleState> = new Set(['draining', 'stopping', 'stopped']);

/**
 * A Terminus indicator that follows the lifecycle (README, "Health"). Use it in your own
 * `@HealthCheck()` controller beside other indicators:
 *
 * ```ts
 * @Get('ready') @HealthCheck()
 * ready() { return this.health.check([() => this.graceful.readiness(), () => this.db.pingCheck('db')]); }
 * ```
 *
 * A down result carries `state`, `reason` and `registration` in its body, and
 * `HealthCheckService` answers 503 with it. Both checks are synchronous reads of the
 * lifecycle's state, which flips to `draining` in the same tick as the stop signal.
 */
@Injectable()
export class GracefulHealthIndicator {
  private readonly lifecycle: GracefulLifecycle;

  constructor(
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Optional() @Inject(GracefulLifecycle) lifecycle?: GracefulLifecycle,
  ) {
    if (!lifecycle) {
      throw new Error(
        'nestjs-graceful: GracefulHealthIndicator needs GracefulModule: import GracefulModule.forRoot() (or ' +
          'forRootAsync()) in the root module.',
      );
    }
    this.lifecycle = lifecycle;
  }

  /**
   * Up only in `ready`; down while starting (and registering, with `readiness: 'registered'`).
   *
   * From the stop on it throws a `ServiceUnavailableException` whose body is Terminus' own
   * `shutting_down` result, this indicator's details in `error`: `HealthCheckService` passes
   * it on, so the probe gets its 503, without the `Health Check has failed!` error Terminus
   * logs for a down result on every probe. A drain is not a failure. The body then holds
   * only this indicator: the others are not asked.
   */
  readiness<const Key extends string = 'lifecycle'>(key: Key = 'lifecycle' as Key): HealthIndicatorResult<Key> {
    const verdict = readinessOf(this.lifecycle);
    const result = this.result(key, verdict);
    if (!verdict.up && STOPPING.has(this.lifecycle.state)) {
      throw new ServiceUnavailableException({
        status: 'shutting_down',
        info: {},
        error: result,
        details: result,
      } satisfies HealthCheckResult);
    }
    return result;
  }

  /** Up in every state but `stopped`: an orchestrator must not kill a draining instance. */
  liveness<const Key extends string = 'lifecycle'>(key: Key = 'lifecycle' as Key): HealthIndicatorResult<Key> {
    return this.result(key, livenessOf(this.lifecycle));
  }

  private result<Key extends string>(key: Key, { up, details }: LifecycleVerdict): HealthIndicatorResult<Key> {
    const session = this.indicators.check(key);
    return up ? session.up({ ...details }) : session.down({ ...details });
  }
}
