import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DrainLedger, DrainUnit, type StopMoment } from '../../src/drain/drain-ledger';
import type { WorkKind } from '../../src/drain/work-unit.interface';

class TestUnit extends DrainUnit {
  override readonly cut = vi.fn();
  readonly told: string[] = [];

  constructor(
    readonly name: string,
    readonly isWork: boolean,
    readonly startedAt: number,
    readonly kind: WorkKind = 'background',
  ) {
    super();
  }

  override notify(moment: StopMoment, reason: unknown): void {
    this.told.push(`${moment}:${String(reason)}`);
  }
}

function unit(name: string, { isWork = true, startedAt = 0, kind = 'background' as WorkKind } = {}): TestUnit {
  return new TestUnit(name, isWork, startedAt, kind);
}

/** Tracks whether a promise settled, to assert on it without awaiting it. */
function watch(promise: Promise<unknown>): { settled: boolean } {
  const state = { settled: false };
  void promise.then(() => (state.settled = true));
  return state;
}

describe('DrainLedger', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('holds units by identity: two with the same name are two, ending one twice ends it once', () => {
    const ledger = new DrainLedger();
    const a = unit('same');
    const b = unit('same');
    ledger.add(a);
    ledger.add(b);
    expect(ledger.size).toBe(2);
    expect(ledger.end(a)).toBe(true);
    expect(ledger.end(a)).toBe(false);
    expect(ledger.size).toBe(1);
    expect(ledger.isOpen(b)).toBe(true);
  });

  it('whenIdle() resolves only when a re-check after a poll phase still finds nothing', async () => {
    const ledger = new DrainLedger();
    const first = unit('first');
    ledger.add(first);
    const idle = watch(ledger.whenIdle());
    ledger.end(first);
    // Emptied, but a unit begun before the re-check (a request read in the poll phase) keeps it waiting.
    const second = unit('second');
    ledger.add(second);
    await vi.advanceTimersByTimeAsync(0);
    expect(idle.settled).toBe(false);
    ledger.end(second);
    await vi.advanceTimersByTimeAsync(0);
    expect(idle.settled).toBe(true);
  });

  it('a hand-off (the next unit added before the previous ends) never lets whenIdle() resolve', async () => {
    const ledger = new DrainLedger();
    let current = unit('grace');
    ledger.add(current);
    const idle = watch(ledger.whenIdle());
    for (let i = 0; i < 5; i++) {
      const next = unit(`request ${i}`);
      ledger.add(next);
      ledger.end(current);
      current = next;
      await vi.advanceTimersByTimeAsync(10);
      expect(idle.settled).toBe(false);
    }
    ledger.end(current);
    await vi.advanceTimersByTimeAsync(0);
    expect(idle.settled).toBe(true);
  });

  it('whenIdle(signal) resolves when the signal fires, and leaves no listener on it', async () => {
    const ledger = new DrainLedger();
    ledger.add(unit('stuck'));
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) {
      const extra = unit(`extra ${i}`);
      ledger.add(extra);
      ledger.end(extra);
    }
    const idle = watch(ledger.whenIdle(controller.signal));
    await vi.advanceTimersByTimeAsync(100);
    expect(idle.settled).toBe(false);
    expect(getEventListeners(controller.signal, 'abort').length).toBe(1);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(idle.settled).toBe(true);
    expect(getEventListeners(controller.signal, 'abort').length).toBe(0);
  });

  it('drained counts work that ended after countFromNow(), whether open then or begun later', () => {
    const ledger = new DrainLedger();
    const before = unit('answered before the listeners closed');
    const inFlight = unit('in flight at the close');
    const connection = unit('idle connection', { isWork: false });
    ledger.add(before);
    ledger.add(inFlight);
    ledger.add(connection);
    ledger.end(before);
    ledger.countFromNow();
    const later = unit('begun during the drain');
    ledger.add(later);
    ledger.end(inFlight);
    ledger.end(later);
    ledger.end(connection);
    ledger.end(later);
    expect(ledger.drained).toBe(2);
  });

  it('cut() lists the open work with its age, cuts every open unit, and what ends after it is not drained', () => {
    vi.spyOn(performance, 'now').mockReturnValue(1_500);
    const ledger = new DrainLedger();
    ledger.countFromNow();
    const served = unit('served', { startedAt: 1_000 });
    const jobA = unit('job a', { startedAt: 1_000 });
    const jobB = unit('job b', { startedAt: 1_200.4 });
    const connection = unit('connection awaiting its first request', { isWork: false });
    for (const u of [served, jobA, jobB, connection]) ledger.add(u);
    ledger.end(served);
    const aborted = ledger.cut();
    expect(aborted).toEqual([
      { kind: 'background', name: 'job a', ageMs: 500 },
      { kind: 'background', name: 'job b', ageMs: 300 },
    ]);
    expect(ledger.aborted).toEqual(aborted);
    expect([jobA.cut, jobB.cut, connection.cut].map((cut) => cut.mock.calls.length)).toEqual([1, 1, 1]);
    expect(served.cut).not.toHaveBeenCalled();
    expect(ledger.size).toBe(0);
    expect(ledger.end(jobA)).toBe(false);
    expect(ledger.drained).toBe(1);
  });

  it('two never-ending jobs: drained 0 and both aborted', () => {
    const ledger = new DrainLedger();
    ledger.add(unit('forever 1'));
    ledger.add(unit('forever 2'));
    ledger.countFromNow();
    expect(ledger.cut().map((u) => u.name)).toEqual(['forever 1', 'forever 2']);
    expect(ledger.drained).toBe(0);
  });

  it('endAborted(): a unit that stopped unfinished is aborted, not drained, and listed before those cut', async () => {
    const ledger = new DrainLedger();
    const gaveUp = unit('gave up');
    const connection = unit('idle connection', { isWork: false });
    ledger.add(gaveUp);
    ledger.add(connection);
    ledger.add(unit('stuck'));
    ledger.notify('draining', 'SIGTERM');
    ledger.countFromNow();
    expect(ledger.endAborted(gaveUp)).toBe(true);
    expect(ledger.endAborted(gaveUp)).toBe(false);
    expect(ledger.end(gaveUp)).toBe(false);
    // No work lost with a connection: ended this way it is not listed.
    ledger.endAborted(connection);
    expect(ledger.aborted.map((u) => u.name)).toEqual(['gave up']);
    expect(ledger.cut().map((u) => u.name)).toEqual(['gave up', 'stuck']);
    expect(ledger.drained).toBe(0);
  });

  it(
    "endAborted() before the stop began is the app's business: " +
      'ended, and not kept (nothing grows while the app runs)',
    () => {
      const ledger = new DrainLedger();
      const earlier = unit('gave up before the stop');
      ledger.add(earlier);
      expect(ledger.endAborted(earlier)).toBe(true);
      expect(ledger.size).toBe(0);
      expect(ledger.aborted).toEqual([]);
      ledger.notify('draining', 'SIGTERM');
      const during = unit('gave up during the delay');
      ledger.add(during);
      ledger.endAborted(during);
      expect(ledger.aborted.map((u) => u.name)).toEqual(['gave up during the delay']);
    },
  );

  it('seal() and cut() end the intake: refuse() lists what came after as aborted', () => {
    const ledger = new DrainLedger();
    expect(ledger.sealed).toBe(false);
    ledger.seal();
    expect(ledger.sealed).toBe(true);
    ledger.refuse({ kind: 'background', name: 'late' });
    expect(ledger.aborted).toEqual([{ kind: 'background', name: 'late', ageMs: 0 }]);
    const cutOne = new DrainLedger();
    cutOne.cut();
    expect(cutOne.sealed).toBe(true);
  });

  it('cut() wakes a whenIdle() waiting on the cut units', async () => {
    const ledger = new DrainLedger();
    ledger.add(unit('stuck'));
    const idle = watch(ledger.whenIdle());
    ledger.cut();
    await vi.advanceTimersByTimeAsync(0);
    expect(idle.settled).toBe(true);
  });

  it('notify() tells the open units once per moment; controllerFor() is already aborted after it', () => {
    const ledger = new DrainLedger();
    const listening = unit('listening');
    const ended = unit('ended');
    ledger.add(listening);
    ledger.add(ended);
    ledger.end(ended);
    expect(ledger.controllerFor('draining').signal.aborted).toBe(false);
    ledger.notify('draining', 'SIGTERM');
    ledger.notify('draining', 'again');
    expect(listening.told).toEqual(['draining:SIGTERM']);
    expect(ended.told).toEqual([]);
    expect(ledger.controllerFor('draining').signal.reason).toBe('SIGTERM');
    expect(ledger.controllerFor('abort').signal.aborted).toBe(false);
  });

  it('keeps the open units in the order they began, whichever ends', () => {
    const ledger = new DrainLedger();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => unit(name));
    for (const u of [a!, b!, c!, d!]) ledger.add(u);
    ledger.end(b!);
    ledger.end(d!);
    ledger.add(b!);
    ledger.end(a!);
    expect([...ledger.units()].map((u) => u.name)).toEqual(['c', 'b']);
    expect(ledger.size).toBe(2);
  });

  it('countByKind() counts the open units by kind', () => {
    const ledger = new DrainLedger();
    ledger.add(unit('a'));
    ledger.add(unit('b', { kind: 'http' }));
    ledger.add(unit('c'));
    expect(ledger.countByKind()).toEqual({ background: 2, http: 1 });
  });
});
