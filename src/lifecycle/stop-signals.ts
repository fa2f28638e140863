import { Injectable } from '@nestjs/common';

/**
 * The two signals every unit of work can watch (phases 1 and 7 of the stop, docs/lifecycle.md):
 * `draining` — the stop began, finish politely (end a stream, stop polling);
 * `abort` — the drain deadline passed, give up now.
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

  /** @internal Called by the lifecycle at phase 1. */
  fireDraining(reason: string): void {
    this.drainingController.abort(reason);
  }

  /** @internal Called by the lifecycle at phase 7. */
  fireAbort(reason: string): void {
    this.abortController.abort(reason);
  }
}
