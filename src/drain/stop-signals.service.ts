import { Injectable } from '@nestjs/common';

/**
 * The app-wide signals (phases 1 and 7 of the stop, docs/lifecycle.md), for app code that is not one unit
 * of work, such as a poller: `draining` — the stop began, finish politely (end a stream,
 * stop polling); `abort` — the drain deadline passed, give up now. A unit of work begun
 * with `WorkTracker.begin()` has its own pair on its handle: listen there, not here, when
 * there are many.
 */
@Injectable()
export class StopSignals {
  private readonly drainingController = new AbortController();
  private readonly abortController = new AbortController();

  get draining(): AbortSignal {
    return this.drainingController.signal;
  }

  get abort(): AbortSignal {
    return this.abortController.signal;
  }

  /** @internal Called by the drain at phase 1. */
  fireDraining(reason: string): void {
    this.drainingController.abort(reason);
  }

  /** @internal Called by the drain at phase 7. */
  fireAbort(reason: string): void {
    this.abortController.abort(reason);
  }
}
