import { describe, expect, it } from 'vitest';
import {
  CLOSE_BOUND_MS,
  DISCONNECT_BOUND_MS,
  overGracePeriod,
  stopBounds,
  stopBudget,
  WATCHDOG_SLACK_MS,
} from '../../src/lifecycle/stop-budget';
import type { Registrar } from '../../src/registry/registrar.interface';
import { validateOptions } from '../../src/validate-options';

const registrar: Registrar = { register: async () => undefined, deregister: async () => undefined };

describe('stopBounds() and stopBudget()', () => {
  it('bounds every phase of the default options (no registrar, no hooks), and the budget is their sum', () => {
    const o = validateOptions({});
    const bounds = stopBounds(o);
    // One per phase, in the phase table's order (unready has none).
    expect(Object.keys(bounds)).toEqual([
      'beforeStop',
      'deregister',
      'delay',
      'close',
      'drain',
      'abort',
      'disconnect',
      'teardown',
      'afterStop',
      'release',
    ]);
    expect([bounds.beforeStop, bounds.deregister, bounds.afterStop]).toEqual([0, undefined, 0]);
    expect(stopBudget(stopBounds(o))).toBe(
      o.shutdownDelay +
        CLOSE_BOUND_MS +
        o.stopTimeout +
        o.abortGrace +
        DISCONNECT_BOUND_MS +
        o.teardownTimeout +
        o.registrarTimeout,
    );
  });

  it('counts each stop hook, and the deregistration when a registrar is set', () => {
    const hook = () => undefined;
    const o = validateOptions({
      registrar,
      registrarTimeout: 2_000,
      hookTimeout: 1_000,
      beforeStop: [hook, hook],
      afterStop: hook,
      beforeStart: hook, // start hooks are not part of the stop
      shutdownDelay: 3_000,
      stopTimeout: 4_000,
      abortGrace: 100,
      teardownTimeout: 5_000,
    });
    expect(stopBounds(o)).toMatchObject({ beforeStop: 2_000, deregister: 2_000, afterStop: 1_000, release: 2_000 });
    expect(stopBudget(stopBounds(o))).toBe(
      3 * 1_000 + 2 * 2_000 + 3_000 + CLOSE_BOUND_MS + 4_000 + 100 + DISCONNECT_BOUND_MS + 5_000,
    );
  });
});

describe('overGracePeriod()', () => {
  it('is silent while the budget and the watchdog slack fit, and names both when they do not', () => {
    const fits = validateOptions({ gracePeriod: 30_000 });
    const budget = stopBudget(stopBounds(fits));
    expect(overGracePeriod(fits)).toBeUndefined();
    // Exactly the grace period without the slack: the watchdog could still be cut.
    const tight = validateOptions({ gracePeriod: budget });
    expect(overGracePeriod(tight)).toBe(
      `the stop's bounds add up to ${budget} ms (+ ${WATCHDOG_SLACK_MS} ms slack), more than gracePeriod (${budget} ` +
        `ms): ` +
        'the orchestrator may kill the process first. Lower the bounds or raise its grace period.',
    );
  });
});
