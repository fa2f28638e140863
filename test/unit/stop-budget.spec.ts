import { describe, expect, it } from 'vitest';
import { overGracePeriod, stopBudget, WATCHDOG_SLACK_MS } from '../../src/lifecycle/stop-budget';
import type { Registrar } from '../../src/registry/registrar.interface';
import { validateOptions } from '../../src/validate-options';

const registrar: Registrar = { register: async () => undefined, deregister: async () => undefined };

describe('stopBudget()', () => {
  it('sums the bounds of the default options (no registrar, no hooks)', () => {
    const o = validateOptions({});
    expect(stopBudget(o)).toBe(o.shutdownDelay + o.stopTimeout + o.abortGrace + o.teardownTimeout);
  });

  it('counts each stop hook, and the deregistration and the registrar close when a registrar is set', () => {
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
    expect(stopBudget(o)).toBe(3 * 1_000 + 2 * 2_000 + 3_000 + 4_000 + 100 + 5_000);
  });
});

describe('overGracePeriod()', () => {
  it('is silent while the budget and the watchdog slack fit, and names both when they do not', () => {
    const fits = validateOptions({ gracePeriod: 30_000 });
    expect(overGracePeriod(fits)).toBeUndefined();
    // Exactly the grace period without the slack: the watchdog could still be cut.
    const tight = validateOptions({ gracePeriod: stopBudget(fits) });
    expect(overGracePeriod(tight)).toBe(
      `the stop's bounds add up to ${stopBudget(fits)} ms (+ ${WATCHDOG_SLACK_MS} ms slack), more than gracePeriod (${stopBudget(fits)} ms): ` +
        'the orchestrator may kill the process first. Lower the bounds or raise its grace period.',
    );
  });
});
