import type { PendingUnit } from '../drain/work-unit';

export type PhaseName =
  | 'unready'
  | 'beforeStop'
  | 'deregister'
  | 'delay'
  | 'close'
  | 'drain'
  | 'abort'
  | 'teardown'
  | 'afterStop';

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
  /** Units of work that finished during the stop (in flight at the signal or begun since), not counting the aborted. */
  readonly drained: number;
  readonly aborted: readonly PendingUnit[];
}

export class StopRecorder {
  private readonly phases: PhaseRecord[] = [];
  private readonly startedAt = performance.now();
  drained = 0;
  aborted: PendingUnit[] = [];

  constructor(
    private readonly app: string,
    readonly reason: string,
  ) {}

  record(phase: PhaseName, ms: number, error?: string): PhaseRecord {
    const record: PhaseRecord = error === undefined ? { phase, ms, ok: true } : { phase, ms, ok: false, error };
    this.phases.push(record);
    return record;
  }

  report(): StopReport {
    const ok = this.aborted.length === 0 && this.phases.every((p) => p.ok);
    return {
      app: this.app,
      reason: this.reason,
      exitCode: ok ? 0 : 1,
      totalMs: Math.round(performance.now() - this.startedAt),
      phases: [...this.phases],
      drained: this.drained,
      aborted: [...this.aborted],
    };
  }
}
