import type { Logger } from '@nestjs/common';
import { bounded, describeError } from '../common/bounded.js';
import { MAX_TIMER_MS } from '../common/timers.js';
import type { PendingUnit } from '../drain/work-unit.interface.js';
import { stopBudget, type StopBounds } from './stop-budget.js';
import { StopRecorder, type PhaseName, type StopReport } from './stop-report.js';

/** What each phase does; the lifecycle provides them, the sequence orders and bounds them. */
export interface StopSteps {
  /**
   * Phase 1, synchronous: readiness down in the same tick as the request (made at `requestedAt`).
   * `budget`: the sum of the bounds this stop runs with, for the log line and the watchdog.
   */
  unready(reason: string, requestedAt: number, budget: number): void;
  /** Runs the hooks (each bounded by `hookTimeout`); throws when one failed. Absent when there are none. */
  beforeStop?(): Promise<void>;
  afterStop?(): Promise<void>;
  deregister(signal: AbortSignal): Promise<void>;
  delay(): Promise<void>;
  /** Phase 5: every transport stops taking new work. */
  closeListeners(signal: AbortSignal): Promise<void>;
  /** Resolves once nothing is in flight; stops waiting when `signal` fires. */
  drain(signal: AbortSignal): Promise<void>;
  /** Fires `abort`, waits its grace, cuts what is left and returns it. */
  abortRemaining(): Promise<readonly PendingUnit[]>;
  /** Closes what is left open of the transports (idle connections, microservice connections). */
  disconnect(signal: AbortSignal): Promise<void>;
  /** Nest's own close: destroy hooks, shutdown hooks, disposal. */
  teardown(): Promise<void>;
  /** Releases what the library holds (server listeners, the registrar's sockets and timers). */
  release(signal: AbortSignal): Promise<void>;
  /** Units the drain waited for that finished. */
  drained(): number;
  /** Work cut at the abort, ended unfinished (`abandon()`) or refused after the drain, since the stop began. */
  aborted(): readonly PendingUnit[];
}

/**
 * The stop, phase by phase (docs/lifecycle.md). Every step runs inside a phase with its
 * bound; a step that throws or overruns is recorded and never skips the later ones.
 * `drain()` and `finish()` each run once, whoever asks first: the library's own close, or
 * Nest 12 calling into the drain from `app.close()` and back at `onApplicationShutdown`.
 */
export class StopSequence {
  private recorder?: StopRecorder;
  private draining?: Promise<void>;
  private finishing?: Promise<StopReport>;
  private drainEndedAt = 0;
  private bounds!: StopBounds;

  constructor(
    private readonly steps: StopSteps,
    /** Read once, at phase 1: every phase and the budget use these numbers. */
    private readonly boundsNow: () => StopBounds,
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  get begun(): boolean {
    return this.recorder !== undefined;
  }

  /** The whole stop, when the library closes the app itself. */
  async run(reason: string, requestedAt = performance.now()): Promise<StopReport> {
    await this.drain(reason, requestedAt);
    await this.phase('teardown', this.bounds.teardown, () => this.steps.teardown());
    return this.finish();
  }

  /** Phases 1–7: from readiness down to the end of the drain. */
  drain(reason: string, requestedAt = performance.now()): Promise<void> {
    return (this.draining ??= this.runDrain(reason, requestedAt));
  }

  /** Phase 9 ran inside Nest's `app.close()`, which called us back: record its time, and its error if a hook failed. */
  teardownDone(error?: string): void {
    this.recorder?.record('teardown', Math.round(performance.now() - this.drainEndedAt), error);
  }

  /** Phases 9–10: afterStop hooks, release, then the report (logged as one line). */
  finish(): Promise<StopReport> {
    return (this.finishing ??= this.runFinish());
  }

  private async runDrain(reason: string, requestedAt: number): Promise<void> {
    const recorder = (this.recorder = new StopRecorder(this.name, reason));
    const bounds = (this.bounds = this.boundsNow());
    this.steps.unready(reason, requestedAt, stopBudget(bounds));
    recorder.record('unready', Math.round(performance.now() - requestedAt));
    await this.hooks('beforeStop', this.steps.beforeStop);
    if (bounds.deregister !== undefined) {
      await this.phase('deregister', bounds.deregister, (signal) => this.steps.deregister(signal));
    }
    // The delay and the abort hold their own bound (a sleep, the abort's grace): a second timer racing it would win.
    await this.phase('delay', undefined, () => this.steps.delay());
    await this.phase('close', bounds.close, (signal) => this.steps.closeListeners(signal));
    const idle = await this.phase('drain', bounds.drain, (signal) => this.steps.drain(signal));
    if (!idle) await this.phase('abort', undefined, () => this.abortRemaining());
    await this.phase('disconnect', bounds.disconnect, (signal) => this.steps.disconnect(signal));
    this.drainEndedAt = performance.now();
  }

  private async runFinish(): Promise<StopReport> {
    await this.draining;
    await this.hooks('afterStop', this.steps.afterStop);
    await this.phase('release', this.bounds.release, (signal) => this.steps.release(signal));
    const report = this.recorder!.report(this.steps.drained(), this.steps.aborted());
    const line = `stop report ${JSON.stringify(report)}`;
    if (report.exitCode === 0) this.logger.log(line);
    else this.logger.error(line);
    return report;
  }

  private async abortRemaining(): Promise<void> {
    const aborted = await this.steps.abortRemaining();
    for (const unit of aborted) this.logger.error(`aborted ${unit.kind} ${unit.name} after ${unit.ageMs} ms`);
    if (aborted.length > 0) throw new Error(`${aborted.length} unit(s) aborted`);
  }

  private async hooks(name: 'beforeStop' | 'afterStop', run: (() => Promise<void>) | undefined): Promise<void> {
    // Each hook has its own bound (hookTimeout); the phase adds none.
    if (run) await this.phase(name, undefined, run);
  }

  /**
   * Runs one phase and records it. A phase that finished but took longer than its bound (a
   * blocked event loop fires the deadline late) is recorded as overrun, not as on time.
   * Returns whether it succeeded.
   */
  private async phase(
    name: PhaseName,
    bound: number | undefined,
    work: (signal: AbortSignal) => unknown,
  ): Promise<boolean> {
    const result = await bounded(bound ?? MAX_TIMER_MS, work);
    let error: string | undefined;
    if (!result.ok) error = result.timedOut ? `timed out after ${bound} ms` : describeError(result.error);
    else if (bound !== undefined && result.ms > bound)
      error = `took ${result.ms} ms, more than its bound of ${bound} ms (the event loop was blocked)`;
    this.recorder!.record(name, result.ms, error);
    if (error === undefined) this.logger.log(`${name} done in ${result.ms} ms`);
    else this.logger.error(`${name} failed after ${result.ms} ms: ${error}`);
    return error === undefined;
  }
}
