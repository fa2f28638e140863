import type { PendingUnit } from '../drain/work-unit.interface.js';

/** The stop's phases, in the order they run (docs/lifecycle.md describes each). */
export type PhaseName =
  | 'unready'
  | 'beforeStop'
  | 'deregister'
  | 'delay'
  | 'close'
  | 'drain'
  | 'abort'
  | 'disconnect'
  | 'teardown'
  | 'afterStop'
  | 'release';

export interface PhaseRecord {
  readonly phase: PhaseName;
  readonly ms: number;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * Why a stop's exit code is 1: `lost-work` when a unit of work was aborted (whatever else failed), else
 * `phase-failed` when a phase failed with nothing lost (a deregistration that timed out, a teardown hook that threw;
 * the phases with `ok: false` say which), else `none`.
 */
export type StopFailure = 'none' | 'lost-work' | 'phase-failed';

/** What one stop did, logged as one line at its end and returned by `shutdown()`. */
export interface StopReport {
  readonly app: string;
  readonly reason: string;
  /** 0 when `failure` is `none`, else 1. */
  readonly exitCode: 0 | 1;
  readonly failure: StopFailure;
  readonly totalMs: number;
  readonly phases: readonly PhaseRecord[];
  /**
   * Units of work the drain waited for and that finished: in flight when the listeners closed, or begun since; never
   * the aborted ones.
   */
  readonly drained: number;
  readonly aborted: readonly PendingUnit[];
}

/** @internal Collects the phases of one stop. */
export class StopRecorder {
  private readonly phases: PhaseRecord[] = [];
  private readonly startedAt = performance.now();

  constructor(
    private readonly app: string,
    readonly reason: string,
  ) {}

  record(phase: PhaseName, ms: number, error?: string): PhaseRecord {
    const record: PhaseRecord = error === undefined ? { phase, ms, ok: true } : { phase, ms, ok: false, error };
    this.phases.push(record);
    return record;
  }

  report(drained: number, aborted: readonly PendingUnit[]): StopReport {
    const failure: StopFailure =
      aborted.length > 0 ? 'lost-work' : this.phases.every((p) => p.ok) ? 'none' : 'phase-failed';
    return {
      app: this.app,
      reason: this.reason,
      exitCode: failure === 'none' ? 0 : 1,
      failure,
      totalMs: Math.round(performance.now() - this.startedAt),
      phases: [...this.phases],
      drained,
      aborted: [...aborted],
    };
  }
}
