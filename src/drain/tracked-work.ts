import { DrainUnit, type DrainLedger, type StopMoment } from './drain-ledger.js';
import type { WorkHandle, WorkKind } from './work-unit.interface.js';

/**
 * @internal A job, handler or stream in the ledger, and the handle its code holds. Its `draining`
 * and `abort` signals are its own and made on first read: a thousand jobs that each
 * listen add one listener to each of their own signals, never a thousand to a shared one
 * (which Node reports as MaxListenersExceededWarning from the 11th).
 */
export class TrackedWork extends DrainUnit implements WorkHandle {
  readonly startedAt = performance.now();
  private drainingController?: AbortController;
  private abortController?: AbortController;

  constructor(
    private readonly ledger: DrainLedger,
    readonly name: string,
    readonly kind: WorkKind,
  ) {
    super();
  }

  get isWork(): boolean {
    return true;
  }

  readonly done = (): void => {
    this.ledger.end(this);
  };

  readonly abandon = (): void => {
    this.ledger.endAborted(this);
  };

  get draining(): AbortSignal {
    return (this.drainingController ??= this.ledger.controllerFor('draining')).signal;
  }

  get abort(): AbortSignal {
    return (this.abortController ??= this.ledger.controllerFor('abort')).signal;
  }

  override notify(moment: StopMoment, reason: unknown): void {
    (moment === 'draining' ? this.drainingController : this.abortController)?.abort(reason);
  }
}
