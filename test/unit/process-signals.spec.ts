import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { ProcessSignals, type SignalProcess, type SignalTarget } from '../../src/lifecycle/process-signals';

/** Stands in for `process`: listeners by signal, `exit` a spy. */
class FakeProcess extends EventEmitter implements SignalProcess {
  readonly exit = vi.fn<(code: number) => void>();
  send(signal: NodeJS.Signals): void {
    this.emit(signal, signal);
  }
}

interface FakeTarget extends SignalTarget {
  readonly stopOnSignal: ReturnType<typeof vi.fn<(signal: NodeJS.Signals, receivedAt: number) => Promise<number>>>;
  /** Ends the stop started by the last signal with this exit code. */
  finish(code: number): void;
  fail(error: unknown): void;
}

function target(
  name: string,
  overrides: Partial<Pick<SignalTarget, 'signals' | 'exit' | 'forceExitOnSecondSignal' | 'signalRepeatWindow'>> = {},
): FakeTarget {
  let settle: { resolve: (code: number) => void; reject: (error: unknown) => void } | undefined;
  const stopOnSignal = vi.fn(
    (_signal: NodeJS.Signals, _receivedAt: number) =>
      new Promise<number>((resolve, reject) => {
        settle = { resolve, reject };
      }),
  );
  return {
    name,
    signals: ['SIGTERM', 'SIGINT'],
    exit: true,
    forceExitOnSecondSignal: true,
    signalRepeatWindow: 500,
    ...overrides,
    stopOnSignal,
    finish: (code) => settle!.resolve(code),
    fail: (error) => settle!.reject(error),
  };
}

/** Lets the `.then(...)` of a settled stop run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ProcessSignals', () => {
  let proc: FakeProcess;
  let clock: number;
  let signals: ProcessSignals;
  let log: MockInstance;
  let warn: MockInstance;
  let error: MockInstance;

  beforeEach(() => {
    proc = new FakeProcess();
    clock = 1_000;
    signals = new ProcessSignals(proc, () => clock);
    log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe('listeners', () => {
    it('installs one listener per signal however many targets want it', () => {
      signals.add(target('a'));
      signals.add(target('b'));
      signals.add(target('c', { signals: ['SIGTERM', 'SIGHUP'] }));
      expect(proc.listenerCount('SIGTERM')).toBe(1);
      expect(proc.listenerCount('SIGINT')).toBe(1);
      expect(proc.listenerCount('SIGHUP')).toBe(1);
      expect(signals.installed.sort()).toEqual(['SIGHUP', 'SIGINT', 'SIGTERM']);
    });

    it('adding the same target twice changes nothing', () => {
      const a = target('a');
      signals.add(a);
      signals.add(a);
      expect(proc.listenerCount('SIGTERM')).toBe(1);
      signals.remove(a, 0);
      expect(proc.listenerCount('SIGTERM')).toBe(0);
    });

    it('removes a signal listener when no target wants it any more, and every listener with the last target', () => {
      const a = target('a');
      const b = target('b', { signals: ['SIGHUP'] });
      signals.add(a);
      signals.add(b);

      signals.remove(b, 0);
      expect(proc.listenerCount('SIGHUP')).toBe(0);
      expect(proc.listenerCount('SIGTERM')).toBe(1);
      expect(signals.installed.sort()).toEqual(['SIGINT', 'SIGTERM']);

      signals.remove(a, 0);
      expect(proc.eventNames()).toEqual([]);
      expect(signals.installed).toEqual([]);
    });

    it('a target with no signals installs nothing', () => {
      signals.add(target('quiet', { signals: [] }));
      expect(proc.eventNames()).toEqual([]);
    });
  });

  describe('first signal', () => {
    it('starts the stop of every target that listens to it, with the signal and when it arrived', () => {
      const a = target('a');
      const b = target('b');
      const hupOnly = target('hup', { signals: ['SIGHUP'] });
      signals.add(a);
      signals.add(b);
      signals.add(hupOnly);
      clock = 1_234;
      proc.send('SIGTERM');
      expect(a.stopOnSignal).toHaveBeenCalledExactlyOnceWith('SIGTERM', 1_234);
      expect(b.stopOnSignal).toHaveBeenCalledExactlyOnceWith('SIGTERM', 1_234);
      expect(hupOnly.stopOnSignal).not.toHaveBeenCalled();
    });

    it('exits once, with the highest code, after every target finished its stop', async () => {
      const a = target('a');
      const b = target('b');
      const c = target('c');
      signals.add(a);
      signals.add(b);
      signals.add(c);
      proc.send('SIGTERM');

      b.finish(1);
      await flush();
      a.finish(0);
      await flush();
      expect(proc.exit).not.toHaveBeenCalled();

      c.finish(0);
      await flush();
      expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
    });

    it('exits 0 when every stop ended with 0', async () => {
      const a = target('a');
      signals.add(a);
      proc.send('SIGINT');
      a.finish(0);
      await flush();
      expect(proc.exit).toHaveBeenCalledExactlyOnceWith(0);
    });

    it('exits for the app that asked for it only once the other signalled apps finished too', async () => {
      const a = target('a');
      const b = target('b', { exit: false });
      signals.add(a);
      signals.add(b);
      proc.send('SIGTERM');
      a.finish(0);
      await flush();
      expect(proc.exit).not.toHaveBeenCalled();
      expect(log).toHaveBeenCalledWith(expect.stringContaining('not exiting yet: b still running or stopping'));
      b.finish(0);
      await flush();
      expect(proc.exit).toHaveBeenCalledExactlyOnceWith(0);
    });

    it('never exits when no stopped app has exit on', async () => {
      const a = target('a', { exit: false });
      signals.add(a);
      proc.send('SIGTERM');
      a.finish(1);
      await flush();
      signals.remove(a, 0);
      expect(proc.exit).not.toHaveBeenCalled();
    });

    it(
      'with apps on different signals, stops only those ' + 'listening, and exits once the last attached app is gone',
      async () => {
        const a = target('a', { signals: ['SIGTERM'] });
        const b = target('b', { signals: ['SIGUSR2'] });
        signals.add(a);
        signals.add(b);
        proc.send('SIGTERM');
        expect(b.stopOnSignal).not.toHaveBeenCalled();
        a.finish(0);
        await flush();
        signals.remove(a, 0);
        expect(proc.exit).not.toHaveBeenCalled();
        // b is closed by its own code, not a signal: the exit a asked for happens now.
        signals.remove(b, 0);
        expect(proc.exit).toHaveBeenCalledExactlyOnceWith(0);
      },
    );

    it("another app's first signal is its first, not a second signal of the process", () => {
      const a = target('a', { signals: ['SIGTERM'], exit: false });
      const b = target('b', { signals: ['SIGUSR2'] });
      signals.add(a);
      signals.add(b);
      proc.send('SIGTERM');
      clock += 5_000;
      proc.send('SIGUSR2');
      expect(b.stopOnSignal).toHaveBeenCalledExactlyOnceWith('SIGUSR2', clock);
      expect(proc.exit).not.toHaveBeenCalled();
    });

    it('giveUp() (the watchdog) counts a stuck stop as done with code 1', async () => {
      const a = target('a');
      const b = target('b', { signals: ['SIGUSR2'] });
      signals.add(a);
      signals.add(b);
      signals.giveUp(a); // not stopping: nothing to give up
      expect(proc.exit).not.toHaveBeenCalled();
      proc.send('SIGTERM');
      signals.giveUp(a);
      expect(proc.exit).not.toHaveBeenCalled(); // b is still running
      proc.send('SIGUSR2');
      b.finish(0);
      await flush();
      expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
    });

    it(
      'an app with no signals whose stop its own code began holds ' +
        'the exit until it ends, and its exit code counts',
      async () => {
        const a = target('a');
        const quiet = target('quiet', { signals: [] });
        const idle = target('idle', { signals: [] });
        signals.add(a);
        signals.add(quiet);
        signals.add(idle);
        proc.send('SIGTERM');
        signals.began(quiet); // e.g. its app.close() called from the app's own SIGTERM handler
        a.finish(0);
        await flush();
        expect(proc.exit).not.toHaveBeenCalled();
        expect(log).toHaveBeenCalledWith(expect.stringContaining('not exiting yet: quiet still running or stopping'));
        // idle was never stopped and listens to no signal: it is its owner's and holds nothing.
        signals.remove(quiet, 1);
        expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
      },
    );

    it(
      'exits with the code of a stop whose app was released before ' +
        'its stop settled (the lifecycle removes it first)',
      async () => {
        const a = target('a');
        signals.add(a);
        proc.send('SIGTERM');
        signals.remove(a, 1);
        expect(proc.exit).not.toHaveBeenCalled();
        a.finish(1);
        await flush();
        expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
      },
    );

    it('giveUp() on a stop its own code began lets the exit happen, with code 1', async () => {
      const a = target('a');
      const quiet = target('quiet', { signals: [] });
      signals.add(a);
      signals.add(quiet);
      signals.began(quiet);
      proc.send('SIGTERM');
      a.finish(0);
      await flush();
      expect(proc.exit).not.toHaveBeenCalled();
      signals.giveUp(quiet);
      expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
    });

    it('logs a failed stop and exits 1', async () => {
      const a = target('a');
      signals.add(a);
      proc.send('SIGTERM');
      a.fail(new Error('teardown exploded'));
      await flush();
      expect(error).toHaveBeenCalledWith(expect.stringContaining('teardown exploded'));
      expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
    });
  });

  describe('second signal', () => {
    it('ignores and logs a repeat of the same signal within signalRepeatWindow', () => {
      const a = target('a', { signalRepeatWindow: 500 });
      signals.add(a);
      proc.send('SIGINT');
      clock += 499;
      proc.send('SIGINT');
      expect(a.stopOnSignal).toHaveBeenCalledTimes(1);
      expect(proc.exit).not.toHaveBeenCalled();
      expect(log).toHaveBeenCalledWith(
        expect.stringContaining(
          'SIGINT repeated 499 ms after the first (within signalRepeatWindow 500 ms): same stop of a',
        ),
      );
    });

    it('the window is fixed from the first signal, not sliding', () => {
      signals.add(target('a', { signalRepeatWindow: 500 }));
      proc.send('SIGTERM');
      clock += 300;
      proc.send('SIGTERM');
      expect(proc.exit).not.toHaveBeenCalled();
      clock += 300; // 300 ms after the last repeat, 600 ms after the first
      proc.send('SIGTERM');
      expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
    });

    it('each app judges by its own window', () => {
      signals.add(target('a', { signalRepeatWindow: 100, forceExitOnSecondSignal: false }));
      signals.add(target('b', { signalRepeatWindow: 800 }));
      proc.send('SIGINT');
      clock += 700;
      proc.send('SIGINT');
      expect(proc.exit).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('SIGINT received while a is already stopping'));
      expect(log).toHaveBeenCalledWith(expect.stringContaining('same stop of b, ignored'));
    });

    it('exits 1, once, on the same signal after the window for an app with exit and forceExitOnSecondSignal', () => {
      const a = target('a');
      const b = target('b');
      signals.add(a);
      signals.add(b);
      proc.send('SIGTERM');
      clock += 500;
      proc.send('SIGTERM');
      expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
      expect(error).toHaveBeenCalledWith(
        expect.stringContaining('second stop signal SIGTERM to a, 500 ms after SIGTERM'),
      );
      expect(a.stopOnSignal).toHaveBeenCalledTimes(1);
    });

    it('exits 1 on a different signal even within the window', () => {
      signals.add(target('a'));
      proc.send('SIGTERM');
      clock += 10;
      proc.send('SIGINT');
      expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
    });

    it('does not exit for an app with exit:false, and warns that the stop goes on', () => {
      signals.add(target('b', { exit: false }));
      proc.send('SIGTERM');
      clock += 5_000;
      proc.send('SIGTERM');
      proc.send('SIGINT');
      expect(proc.exit).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining('received while b is already stopping; the stop goes on'),
      );
    });

    it('does not exit when a target has forceExitOnSecondSignal:false', () => {
      signals.add(target('a', { forceExitOnSecondSignal: false }));
      proc.send('SIGTERM');
      clock += 5_000;
      proc.send('SIGINT');
      expect(proc.exit).not.toHaveBeenCalled();
    });
  });

  describe('reset', () => {
    it('forgets the first signal once every target is removed', () => {
      const a = target('a');
      signals.add(a);
      proc.send('SIGTERM');
      signals.remove(a, 0);
      expect(proc.eventNames()).toEqual([]);

      const b = target('b');
      signals.add(b);
      clock += 5_000;
      proc.send('SIGTERM');
      expect(proc.exit).not.toHaveBeenCalled();
      expect(b.stopOnSignal).toHaveBeenCalledExactlyOnceWith('SIGTERM', clock);
    });

    it('keeps the first signal while some target remains', () => {
      const a = target('a');
      const b = target('b');
      signals.add(a);
      signals.add(b);
      proc.send('SIGTERM');
      signals.remove(a, 0);
      clock += 5_000;
      proc.send('SIGTERM');
      expect(b.stopOnSignal).toHaveBeenCalledTimes(1);
      expect(proc.exit).toHaveBeenCalledExactlyOnceWith(1);
    });
  });
});
