import { Logger } from '@nestjs/common';

/** An attached Nest app: its stop a signal starts (when it has `signals`), and whose stop holds the exit. */
export interface SignalTarget {
  readonly name: string;
  readonly signals: readonly NodeJS.Signals[];
  readonly exit: boolean;
  readonly forceExitOnSecondSignal: boolean;
  readonly signalRepeatWindow: number;
  /** Begins the stop (`receivedAt`: when the signal arrived, for the flip timing) and resolves with the exit code. */
  stopOnSignal(signal: NodeJS.Signals, receivedAt: number): Promise<number>;
}

/** The parts of `process` this uses, so tests can drive it without real signals. */
export interface SignalProcess {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

interface TargetState {
  /** The signal that started this app's stop, and when. */
  first?: { signal: NodeJS.Signals; at: number };
  /** Its stop began, whoever started it (a signal, `shutdown()`, `app.close()`). */
  stopping: boolean;
  /** Its stop is over, or the watchdog gave up on it. */
  done: boolean;
}

/**
 * One listener per signal for the whole process, however many apps run in it. A signal
 * starts the stop of every app listening to it; another signal to an app already stopping
 * is that app's second signal. The process exits only for a signal-started stop of an app
 * with `exit` on, and only once no attached app is stopping, whoever stopped it, or still
 * running while it listens to a signal; with the highest exit code of every stop that ended.
 */
export class ProcessSignals {
  private readonly logger = new Logger('GracefulSignals');
  private readonly targets = new Map<SignalTarget, TargetState>();
  private readonly listening = new Set<NodeJS.Signals>();
  /** A signal-started stop of an app with `exit` on ended: the process exits once nothing holds it. */
  private exitAsked = false;
  /** The highest exit code of the stops that ended in this process. */
  private worstCode = 0;

  constructor(
    private readonly proc: SignalProcess = process,
    private readonly now: () => number = () => performance.now(),
  ) {}

  add(target: SignalTarget): void {
    if (this.targets.has(target)) return;
    this.targets.set(target, { stopping: false, done: false });
    this.sync();
  }

  /** The app's stop began (phase 1), whoever started it: the exit waits for its end. */
  began(target: SignalTarget): void {
    const state = this.targets.get(target);
    if (state) state.stopping = true;
  }

  /** The app's stop ended with `exitCode` and it was released: its listeners go, and a pending exit may now happen. */
  remove(target: SignalTarget, exitCode: number): void {
    this.worstCode = Math.max(this.worstCode, exitCode);
    this.targets.delete(target);
    this.sync();
    this.exitIfLast();
  }

  /** The watchdog gave up on this app's stop: it no longer holds up the exit, with code 1. */
  giveUp(target: SignalTarget): void {
    const state = this.targets.get(target);
    if (!state?.stopping) return;
    this.finished(target, 1, state.first !== undefined);
  }

  /** Signals with a listener installed now (for tests and diagnostics). */
  get installed(): NodeJS.Signals[] {
    return [...this.listening];
  }

  private sync(): void {
    const wanted = new Set([...this.targets.keys()].flatMap((t) => t.signals));
    for (const signal of wanted) if (!this.listening.has(signal)) this.proc.on(signal, this.onSignal);
    for (const signal of this.listening) if (!wanted.has(signal)) this.proc.off(signal, this.onSignal);
    this.listening.clear();
    for (const signal of wanted) this.listening.add(signal);
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    const receivedAt = this.now();
    for (const [target, state] of [...this.targets]) {
      if (!target.signals.includes(signal)) continue;
      if (state.first) {
        if (this.onRepeat(target, state.first, signal, receivedAt)) return;
        continue;
      }
      state.first = { signal, at: receivedAt };
      state.stopping = true;
      target.stopOnSignal(signal, receivedAt).then(
        (code) => this.finished(target, code, true),
        (error: unknown) => {
          this.logger.error(`stop of ${target.name} failed: ${error instanceof Error ? error.stack : String(error)}`);
          this.finished(target, 1, true);
        },
      );
    }
  };

  /**
   * The repeat window is fixed from the app's first signal, not sliding: a sender that
   * repeats SIGTERM every 100 ms still forces the exit once the window has passed.
   */
  private onRepeat(
    target: SignalTarget,
    first: { signal: NodeJS.Signals; at: number },
    signal: NodeJS.Signals,
    at: number,
  ): boolean {
    const sinceFirst = Math.round(at - first.at);
    if (signal === first.signal && sinceFirst < target.signalRepeatWindow) {
      this.logger.log(
        `${signal} repeated ${sinceFirst} ms after the first (within signalRepeatWindow ${target.signalRepeatWindow} ` +
          `ms): same stop of ${target.name}, ignored`,
      );
      return false;
    }
    if (target.exit && target.forceExitOnSecondSignal) {
      this.logger.error(
        `second stop signal ${signal} to ${target.name}, ${sinceFirst} ms after ${first.signal}: exiting now, work ` +
          `still in flight is lost`,
      );
      this.proc.exit(1);
      return true;
    }
    this.logger.warn(`${signal} received while ${target.name} is already stopping; the stop goes on`);
    return false;
  }

  /** A signal-started stop ended (or the watchdog gave up on a stop), maybe after the app was removed. */
  private finished(target: SignalTarget, code: number, bySignal: boolean): void {
    const state = this.targets.get(target);
    if (state) state.done = true;
    this.worstCode = Math.max(this.worstCode, code);
    if (target.exit && bySignal) this.exitAsked = true;
    this.exitIfLast();
  }

  /**
   * Exits once a signal-started stop asked for it and no attached app is stopping or, while
   * it listens to a signal, running. An app with no signals that nothing stopped is its
   * owner's: it does not hold the exit.
   */
  private exitIfLast(): void {
    if (!this.exitAsked) return;
    const holding = ([target, state]: [SignalTarget, TargetState]) =>
      !state.done && (state.stopping || target.signals.length > 0);
    const waitingFor = [...this.targets].filter(holding).map(([t]) => t.name);
    if (waitingFor.length > 0) {
      this.logger.log(`not exiting yet: ${waitingFor.join(', ')} still running or stopping`);
      return;
    }
    this.proc.exit(this.worstCode);
  }
}

/** The process-wide instance the lifecycle uses. */
export const processSignals = new ProcessSignals();
