import type { RegistrationStatus } from '../registry/registration-status.interface.js';
import type { LifecycleState } from './lifecycle-state.interface.js';
import type { StopReport } from './stop-report.js';

/**
 * The app's lifecycle (kratos `App`), read-only, and the one way to stop it from code.
 * Inject it anywhere: the module is global. `enableGracefulShutdown(app)` returns it too.
 */
export abstract class GracefulLifecycle {
  /** `starting` → `ready` → `draining` → `stopping` → `stopped`. */
  abstract readonly state: LifecycleState;
  /** Why the app is not ready (e.g. `registering`), or why the stop began (the signal, or `shutdown()`'s reason). */
  abstract readonly reason: string | undefined;
  abstract readonly registrationStatus: RegistrationStatus;
  /** Why the last registration attempt failed, while `registrationStatus` is `failed`. */
  abstract readonly registrationError: string | undefined;
  /** The report of the stop, once it is over. */
  abstract readonly report: StopReport | undefined;
  /**
   * Runs the whole stop (drain, then Nest's teardown) and resolves with its report; every
   * caller gets the same stop. Never exits the process: only a signal-started stop does.
   * Needs `enableGracefulShutdown(app)` in main.ts.
   */
  abstract shutdown(reason?: string): Promise<StopReport>;
}
