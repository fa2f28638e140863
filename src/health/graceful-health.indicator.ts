import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { GracefulLifecycle } from '../lifecycle/graceful-lifecycle.js';
import { livenessOf, readinessOf, type LifecycleVerdict } from './health-details.js';

/**
 * A Terminus indicator that follows the lifecycle (README, "Health"). Use it in your own
 * `@HealthCheck()` controller beside other indicators:
 *
 * ```ts
 * @Get('ready') @HealthCheck()
 * ready() { return this.health.check([() => this.graceful.readiness(), () => this.db.pingCheck('db')]); }
 * ```
 *
 * It never throws: a down result carries `state`, `reason` and `registration` in its body,
 * and `HealthCheckService` answers 503 with it. Both checks are synchronous reads of the
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
        'nestjs-graceful: GracefulHealthIndicator needs GracefulModule: import GracefulModule.forRoot() (or forRootAsync()) in the root module.',
      );
    }
    this.lifecycle = lifecycle;
  }

  /** Up only in `ready`; down while starting (and registering, with `readiness: 'registered'`) and from the stop on. */
  readiness<const Key extends string = 'lifecycle'>(key: Key = 'lifecycle' as Key): HealthIndicatorResult<Key> {
    return this.result(key, readinessOf(this.lifecycle));
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
