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

/** What one stop did, logged as one line at its end and returned by `shutdown()`. */
export interface StopReport {
  readonly app: string;
  readonly reason: string;
  readonly exitCode: 0 | 1;
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
    const ok = aborted.length === 0 && this.phases.every((p) => p.ok);
    return {
      app: this.app,
      reason: this.reason,
      exitCode: ok ? 0 : 1,
      totalMs: Math.round(performance.now() - this.startedAt),
      phases: [...this.phases],
      drained,
      aborted: [...aborted],
    };
  }
}
