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

/**
 * The warning for a budget the orchestrator would cut: the bounds plus the watchdog's slack
 * above `gracePeriod`. Undefined when it fits.
 */
export function overGracePeriod(o: LifecycleOptions): string | undefined {
  const budget = stopBudget(o);
  if (budget + WATCHDOG_SLACK_MS <= o.gracePeriod) return undefined;
  return (
    `the stop's bounds add up to ${budget} ms (+ ${WATCHDOG_SLACK_MS} ms slack), more than gracePeriod (${o.gracePeriod} ms): ` +
    `the orchestrator may kill the process first. Lower the bounds or raise its grace period.`
  );
}
