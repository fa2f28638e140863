import type { LifecycleOptions } from './lifecycle-options.interface.js';

/**
 * How long the watchdog lets the stop run past its budget before it gives up: slack for an
 * event loop that runs timers late, so a stop that keeps its bounds is never cut.
 */
export const WATCHDOG_SLACK_MS = 1_000;

/**
 * The longest a stop can take when every phase uses its whole bound: hooks, deregistration,
 * delay, drain, abort grace, Nest's teardown and the registrar's close.
 */
export function stopBudget(o: LifecycleOptions): number {
  const hookCount = o.beforeStop.length + o.afterStop.length;
  const registry = o.registrar ? 2 * o.registrarTimeout : 0;
  return hookCount * o.hookTimeout + registry + o.shutdownDelay + o.stopTimeout + o.abortGrace + o.teardownTimeout;
}
