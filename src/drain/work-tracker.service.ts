import { Injectable } from '@nestjs/common';
import { DrainLedger } from './drain-ledger.js';
import { TrackedWork } from './tracked-work.js';
import type { PendingUnit, WorkHandle, WorkKind } from './work-unit.interface.js';

/**
 * Work the drain waits for besides HTTP requests: background jobs the app registers,
 * and handlers and streams seen by {@link GracefulInterceptor}.
 */
@Injectable()
export class WorkTracker {
  /** @internal */
  constructor(private readonly ledger: DrainLedger) {}

  /**
   * Begins a unit of work; the drain waits until `done()` is called. Throws once the drain
   * has ended (from Nest's teardown on): nothing would wait for the work any more.
   */
  begin(name = 'background', kind: WorkKind = 'background'): WorkHandle {
    if (this.ledger.sealed) {
      this.ledger.refuse({ kind, name });
      throw new Error(
        `nestjs-graceful: work "${name}" begun after the drain ended was refused: nothing waits for it now, and the ` +
          `process may exit under it. ` +
          'Begin work before the stop (stop taking new work on the draining signal); in onModuleDestroy or ' +
          'onApplicationShutdown, ' +
          'await the work in the hook itself instead of tracking it (Nest waits for the hook, up to teardownTimeout).',
      );
    }
    const unit = new TrackedWork(this.ledger, name, kind);
    this.ledger.add(unit);
    return unit;
  }

  /** Tracks a promise until it settles; returns the same promise. Throws as {@link begin} does. */
  track<T>(promise: PromiseLike<T>, name = 'background'): PromiseLike<T> {
    const handle = this.begin(name);
    promise.then(handle.done, handle.done);
    return promise;
  }

  /** Units begun here and not yet done. */
  get size(): number {
    return this.tracked().length;
  }

  /** The units begun here and not yet done: kind, name and age. */
  pending(): PendingUnit[] {
    const now = performance.now();
    return this.tracked().map((u) => ({ kind: u.kind, name: u.name, ageMs: Math.round(now - u.startedAt) }));
  }

  private tracked(): TrackedWork[] {
    return [...this.ledger.units()].filter((unit): unit is TrackedWork => unit instanceof TrackedWork);
  }
}
