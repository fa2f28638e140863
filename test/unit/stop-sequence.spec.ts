import type { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PendingUnit } from '../../src/drain/work-unit.interface';
import { stopBudget, type StopBounds } from '../../src/lifecycle/stop-budget';
import { StopSequence, type StopSteps } from '../../src/lifecycle/stop-sequence';
import { ALL_PHASES, phasesWithout } from '../support/stop-phases';

const bounds: StopBounds = {
  beforeStop: 500,
  deregister: 1_000,
  delay: 0,
  close: 300,
  drain: 5_000,
  abort: 100,
  disconnect: 400,
  teardown: 2_000,
  afterStop: 500,
  release: 1_000,
};

/** Steps that record their order and finish at once unless a test replaces them. */
function fakeSteps(events: string[], overrides: Partial<StopSteps> = {}): StopSteps {
  const step = (name: string) => async () => {
    events.push(name);
  };
  return {
    unready: (reason) => void events.push(`unready:${reason}`),
    beforeStop: step('beforeStop'),
    afterStop: step('afterStop'),
    deregister: step('deregister'),
    delay: step('delay'),
    closeListeners: step('close'),
    drain: step('drain'),
    abortRemaining: async () => {
      events.push('abort');
      return [];
    },
    disconnect: step('disconnect'),
    teardown: step('teardown'),
    release: step('release'),
    drained: () => 3,
    aborted: () => [],
    ...overrides,
  };
}

describe('StopSequence', () => {
  let logger: { log: ReturnType<typeof vi.fn>; error: ReturnType<typeof vi.fn> };

  beforeEach(() => {
    vi.useFakeTimers();
    logger = { log: vi.fn(), error: vi.fn() };
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = (steps: StopSteps, b: StopBounds = bounds) =>
    new StopSequence(steps, () => b, 'svc', logger as unknown as Logger);

  it('runs the phases in the order of the phase table and reports exit 0', async () => {
    const events: string[] = [];
    const report = await make(fakeSteps(events)).run('SIGTERM');
    expect(events).toEqual(['unready:SIGTERM', ...ALL_PHASES.slice(1)]);
    expect(report.phases.map((p) => p.phase)).toEqual(ALL_PHASES);
    expect(report).toMatchObject({
      app: 'svc',
      reason: 'SIGTERM',
      exitCode: 0,
      failure: 'none',
      drained: 3,
      aborted: [],
    });
    expect(logger.log).toHaveBeenLastCalledWith(expect.stringMatching(/^stop report \{"app":"svc"/));
  });

  it('leaves out hook phases without hooks and the deregistration without a registry', async () => {
    const events: string[] = [];
    const report = await make(fakeSteps(events, { beforeStop: undefined, afterStop: undefined }), {
      ...bounds,
      deregister: undefined,
    }).run('x');
    expect(report.phases.map((p) => p.phase)).toEqual(phasesWithout('beforeStop', 'deregister', 'afterStop'));
  });

  it('a throwing step is recorded and never skips the later phases', async () => {
    const events: string[] = [];
    const boom = (name: string) => async () => {
      events.push(name);
      throw new Error(`${name} exploded`);
    };
    const steps = fakeSteps(events, {
      beforeStop: boom('beforeStop'),
      deregister: boom('deregister'),
      closeListeners: boom('close'),
      disconnect: boom('disconnect'),
      teardown: boom('teardown'),
      afterStop: boom('afterStop'),
    });
    const report = await make(steps).run('SIGTERM');
    expect(events).toEqual(['unready:SIGTERM', ...ALL_PHASES.slice(1)]);
    expect(report).toMatchObject({ exitCode: 1, failure: 'phase-failed' });
    expect(report.phases.filter((p) => !p.ok).map((p) => [p.phase, p.error])).toEqual([
      ['beforeStop', 'beforeStop exploded'],
      ['deregister', 'deregister exploded'],
      ['close', 'close exploded'],
      ['disconnect', 'disconnect exploded'],
      ['teardown', 'teardown exploded'],
      ['afterStop', 'afterStop exploded'],
    ]);
  });

  it('bounds the deregistration, the teardown and the release, and goes on after each timeout', async () => {
    const events: string[] = [];
    const hang = (name: string) => () => {
      events.push(name);
      return new Promise<void>(() => undefined);
    };
    const steps = fakeSteps(events, {
      deregister: hang('deregister'),
      teardown: hang('teardown'),
      release: hang('release'),
    });
    const stopped = make(steps).run('SIGTERM');
    await vi.advanceTimersByTimeAsync(1_000 + 2_000 + 1_000);
    const report = await stopped;
    expect(report.phases.filter((p) => !p.ok).map((p) => [p.phase, p.error])).toEqual([
      ['deregister', 'timed out after 1000 ms'],
      ['teardown', 'timed out after 2000 ms'],
      ['release', 'timed out after 1000 ms'],
    ]);
    expect(events).toContain('afterStop');
  });

  it('a deregistration that timed out with nothing lost exits 1 as phase-failed, not lost-work', async () => {
    const steps = fakeSteps([], { deregister: () => new Promise<void>(() => undefined) });
    const stopped = make(steps).run('SIGTERM');
    await vi.advanceTimersByTimeAsync(1_000);
    const report = await stopped;
    expect(report).toMatchObject({ exitCode: 1, failure: 'phase-failed', drained: 3, aborted: [] });
    expect(report.phases.filter((p) => !p.ok).map((p) => p.phase)).toEqual(['deregister']);
    expect(logger.error).toHaveBeenLastCalledWith(expect.stringMatching(/"exitCode":1,"failure":"phase-failed"/));
  });

  it('bounds the close and the disconnect by their bounds, and goes on after each timeout', async () => {
    const events: string[] = [];
    const hang = (name: string) => () => {
      events.push(name);
      return new Promise<void>(() => undefined);
    };
    const stopped = make(fakeSteps(events, { closeListeners: hang('close'), disconnect: hang('disconnect') })).run(
      'SIGTERM',
    );
    await vi.advanceTimersByTimeAsync(300 + 400);
    const report = await stopped;
    expect(report.phases.filter((p) => !p.ok).map((p) => [p.phase, p.error])).toEqual([
      ['close', 'timed out after 300 ms'],
      ['disconnect', 'timed out after 400 ms'],
    ]);
    expect(events).toEqual(['unready:SIGTERM', ...ALL_PHASES.slice(1)]);
  });

  it('reads the bounds once, at phase 1, and gives phase 1 their sum as the budget', async () => {
    const budgets: number[] = [];
    const boundsNow = vi.fn(() => bounds);
    const steps = fakeSteps([], { unready: (_reason, _at, budget) => void budgets.push(budget) });
    const sequence = new StopSequence(steps, boundsNow, 'svc', logger as unknown as Logger);
    expect(boundsNow).not.toHaveBeenCalled();
    await sequence.run('SIGTERM');
    expect(boundsNow).toHaveBeenCalledOnce();
    expect(budgets).toEqual([stopBudget(bounds)]);
    expect(stopBudget(bounds)).toBe(500 + 1_000 + 300 + 5_000 + 100 + 400 + 2_000 + 500 + 1_000);
  });

  it(
    'lists in aborted the work that ended unfinished though ' + 'the drain ended in time (abandon()), and exits 1',
    async () => {
      const gaveUp: PendingUnit[] = [{ kind: 'background', name: 'gives-up', ageMs: 12 }];
      const report = await make(fakeSteps([], { aborted: () => gaveUp })).run('SIGTERM');
      expect(report.phases.every((p) => p.ok)).toBe(true);
      expect(report.phases.map((p) => p.phase)).not.toContain('abort');
      expect(report).toMatchObject({ exitCode: 1, failure: 'lost-work', aborted: gaveUp });
      expect(logger.error).toHaveBeenLastCalledWith(expect.stringMatching(/^stop report \{.*"exitCode":1/));
    },
  );

  it("records the teardown that ran inside Nest's close with the error of a hook that failed", async () => {
    const sequence = make(fakeSteps([]));
    await sequence.drain('app.close()');
    sequence.teardownDone('Pool.onModuleDestroy() failed: boom');
    const report = await sequence.finish();
    expect(report.phases.find((p) => p.phase === 'teardown')).toMatchObject({
      ok: false,
      error: 'Pool.onModuleDestroy() failed: boom',
    });
    expect(report.exitCode).toBe(1);
  });

  it('a drain that times out runs the abort phase, and the report lists the cut units', async () => {
    const events: string[] = [];
    const cut: PendingUnit[] = [{ kind: 'http', name: 'GET /stuck', ageMs: 5_000 }];
    const steps = fakeSteps(events, {
      drain: (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())),
      abortRemaining: async () => cut,
      drained: () => 0,
      aborted: () => cut,
    });
    const stopped = make(steps).run('SIGTERM');
    await vi.advanceTimersByTimeAsync(5_000);
    const report = await stopped;
    expect(report.phases.find((p) => p.phase === 'drain')).toMatchObject({
      ok: false,
      error: 'timed out after 5000 ms',
    });
    expect(report.phases.find((p) => p.phase === 'abort')).toMatchObject({ ok: false, error: '1 unit(s) aborted' });
    expect(report).toMatchObject({ exitCode: 1, failure: 'lost-work', drained: 0, aborted: cut });
    expect(logger.error).toHaveBeenCalledWith('aborted http GET /stuck after 5000 ms');
  });

  it(
    'a phase that finished after its bound (a blocked event ' + 'loop fires the deadline late) is recorded as overrun',
    async () => {
      let clock = 0;
      vi.spyOn(performance, 'now').mockImplementation(() => clock);
      const events: string[] = [];
      // The drain ends by itself, but 6 s went by while the loop could not run the 5 s deadline.
      const steps = fakeSteps(events, {
        drain: async () => {
          clock += 6_000;
        },
      });
      const report = await make(steps).run('SIGTERM');
      vi.mocked(performance.now).mockRestore();
      expect(report.phases.find((p) => p.phase === 'drain')).toMatchObject({
        ok: false,
        ms: 6_000,
        error: 'took 6000 ms, more than its bound of 5000 ms (the event loop was blocked)',
      });
      expect(report.exitCode).toBe(1);
      expect(events).toContain('teardown');
    },
  );

  it('drain() and finish() each run once, whoever asks', async () => {
    const events: string[] = [];
    const sequence = make(fakeSteps(events));
    expect(sequence.begun).toBe(false);
    const first = sequence.drain('app.close()');
    const second = sequence.drain('SIGTERM');
    expect(sequence.begun).toBe(true);
    await Promise.all([first, second]);
    sequence.teardownDone();
    const [a, b] = await Promise.all([sequence.finish(), sequence.finish()]);
    expect(a).toBe(b);
    expect(a.reason).toBe('app.close()');
    expect(events.filter((e) => e.startsWith('unready'))).toEqual(['unready:app.close()']);
    expect(events.filter((e) => e === 'release')).toHaveLength(1);
    expect(a.phases.map((p) => p.phase)).toContain('teardown');
  });
});
