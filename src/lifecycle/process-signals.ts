import { Logger } from '@nestjs/common';

/** An app whose stop a signal starts (one per attached Nest app). */
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

/**
 * One listener per signal for the whole process, however many apps run in it: no
 * MaxListenersExceeded warning, one decision about a second signal, and one exit once
 * every app has finished its stop.
 */
export class ProcessSignals {
  private readonly logger = new Logger('GracefulSignals');
  private readonly targets = new Set<SignalTarget>();
  private readonly listening = new Set<NodeJS.Signals>();
  private first?: { signal: NodeJS.Signals; at: number };

  constructor(
    private readonly proc: SignalProcess = process,
    private readonly now: () => number = () => performance.now(),
  ) {}

  add(target: SignalTarget): void {
    this.targets.add(target);
    this.sync();
  }

  remove(target: SignalTarget): void {
    this.targets.delete(target);
    if (this.targets.size === 0) this.first = undefined;
    this.sync();
  }

  /** Signals with a listener installed now (for tests and diagnostics). */
  get installed(): NodeJS.Signals[] {
    return [...this.listening];
  }

  private sync(): void {
    const wanted = new Set([...this.targets].flatMap((t) => t.signals));
    for (const signal of wanted) if (!this.listening.has(signal)) this.proc.on(signal, this.onSignal);
    for (const signal of this.listening) if (!wanted.has(signal)) this.proc.off(signal, this.onSignal);
    this.listening.clear();
    for (const signal of wanted) this.listening.add(signal);
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    const receivedAt = this.now();
    const targets = [...this.targets].filter((t) => t.signals.includes(signal));
    if (this.first) return this.onSecondSignal(signal, targets);
    this.first = { signal, at: receivedAt };
    Promise.all(targets.map((t) => t.stopOnSignal(signal, receivedAt))).then(
      (codes) => this.exitIfAsked(targets, Math.max(0, ...codes)),
      (error: unknown) => {
        this.logger.error(`stop failed: ${error instanceof Error ? error.stack : String(error)}`);
        this.exitIfAsked(targets, 1);
      },
    );
  };

  private onSecondSignal(signal: NodeJS.Signals, targets: SignalTarget[]): void {
    const first = this.first!;
    const window = Math.max(0, ...targets.map((t) => t.signalRepeatWindow));
    const sinceFirst = Math.round(this.now() - first.at);
    if (signal === first.signal && sinceFirst < window) {
      this.logger.log(`${signal} repeated after ${sinceFirst} ms (within signalRepeatWindow ${window} ms): same stop, ignored`);
      return;
    }
    if (targets.length > 0 && targets.every((t) => t.exit && t.forceExitOnSecondSignal)) {
      this.logger.error(`second stop signal ${signal} ${sinceFirst} ms after ${first.signal}: exiting now, work still in flight is lost`);
      this.proc.exit(1);
      return;
    }
    this.logger.warn(`${signal} received while already stopping; the stop goes on`);
  }

  private exitIfAsked(targets: SignalTarget[], code: number): void {
    if (targets.length > 0 && targets.every((t) => t.exit)) this.proc.exit(code);
  }
}

/** The process-wide instance the lifecycle uses. */
export const processSignals = new ProcessSignals();
