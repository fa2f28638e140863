import type { LifecycleOptions } from './lifecycle-options.interface.js';

/**
 * How long the watchdog lets the stop run past its budget before it gives up: slack for an
 * event loop that runs timers late, so a stop that keeps its bounds is never cut.
 */
export const WATCHDOG_SLACK_MS = 1_000;

/**
 * Bound of phase 5 (close) and of phase 8 (disconnect). Both are the library's own I/O, not
 * the app's: closing listeners and GOAWAYs are synchronous, and a broker's cancel or
 * connection close is one round trip. 1 s each keeps the documented default (with a
 * registry and `shutdownDelay: 5000`) inside a 30 s grace period with the watchdog's slack.
 */
export const CLOSE_BOUND_MS = 1_000;
export const DISCONNECT_BOUND_MS = 1_000;

/**
 * The bound of each phase of one stop (docs/lifecycle.md), in ms. The sequence enforces
 * `deregister`, `close`, `drain`, `disconnect`, `teardown` and `release`; the others hold
 * their own bound (each hook its `hookTimeout`, the delay its sleep, the abort its grace).
 * The budget is the sum of these very numbers.
 */
export interface StopBounds {
  readonly beforeStop: number;
  /** Undefined when there is no registry to leave. */
  readonly deregister?: number;
  readonly delay: number;
  readonly close: number;
  readonly drain: number;
  readonly abort: number;
  readonly disconnect: number;
  readonly teardown: number;
  readonly afterStop: number;
  readonly release: number;
}

/** The bounds from the options, read when a stop begins (`shutdownDelay` may be raised at bootstrap). */
export function stopBounds(o: LifecycleOptions): StopBounds {
  return {
    beforeStop: o.beforeStop.length * o.hookTimeout,
    deregister: o.registrar ? o.registrarTimeout : undefined,
    delay: o.shutdownDelay,
    close: CLOSE_BOUND_MS,
    drain: o.stopTimeout,
    abort: o.abortGrace,
    disconnect: DISCONNECT_BOUND_MS,
    teardown: o.teardownTimeout,
    afterStop: o.afterStop.length * o.hookTimeout,
    release: o.registrarTimeout,
  };
}

/** The longest a stop can take when every phase uses its whole bound: the sum of its bounds. */
export function stopBudget(bounds: StopBounds): number {
  return Object.values(bounds).reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
}

/**
 * The warning for a budget the orchestrator would cut: the bounds plus the watchdog's slack
 * above `gracePeriod`. Undefined when it fits.
 */
export function overGracePeriod(o: LifecycleOptions): string | undefined {
  const budget = stopBudget(stopBounds(o));
  if (budget + WATCHDOG_SLACK_MS <= o.gracePeriod) return undefined;
  return (
    `the stop's bounds add up to ${budget} ms (+ ${WATCHDOG_SLACK_MS} ms slack), more than gracePeriod ` +
    `(${o.gracePeriod} ms): ` +
    `the orchestrator may kill the process first. Lower the bounds or raise its grace period.`
  );
}
