import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { StopSignals } from '../lifecycle/stop-signals.js';
import { InFlight } from './in-flight.js';
import type { PendingUnit, WorkKind } from './work-unit.js';

/** A unit of work begun with {@link WorkTracker.begin}: call `done()` when it ends (like `sync.WaitGroup.Done`). */
export interface WorkHandle {
  /** Ends the unit; calling it again does nothing. */
  done(): void;
  /** Fires when the stop begins: finish politely. */
  readonly draining: AbortSignal;
  /** Fires when the drain deadline passed: give up now. */
  readonly abort: AbortSignal;
}

interface Unit {
  kind: WorkKind;
  name: string;
  startedAt: number;
}

/**
 * Work the drain waits for besides HTTP requests: background jobs the app registers,
 * and handlers and streams seen by {@link GracefulInterceptor}.
 */
@Injectable()
export class WorkTracker {
  private readonly units = new InFlight<Unit>();

  constructor(private readonly signals: StopSignals) {}

  /** Begins a unit of work; the drain waits until `done()` is called. */
  begin(name = 'background', kind: WorkKind = 'background'): WorkHandle {
    const unit: Unit = { kind, name, startedAt: performance.now() };
    this.units.add(unit);
    return {
      done: () => this.units.delete(unit),
      draining: this.signals.draining,
      abort: this.signals.abort,
    };
  }

  /** Tracks a promise until it settles; returns the same promise. */
  track<T>(promise: PromiseLike<T>, name = 'background'): PromiseLike<T> {
    const handle = this.begin(name);
    promise.then(handle.done, handle.done);
    return promise;
  }

  get size(): number {
    return this.units.size;
  }

  /** Units ended since the app started. */
  get completed(): number {
    return this.units.completed;
  }

  whenIdle(): Promise<void> {
    return this.units.whenEmpty();
  }

  pending(): PendingUnit[] {
    const now = performance.now();
    return [...this.units.values()].map((u) => ({ kind: u.kind, name: u.name, ageMs: Math.round(now - u.startedAt) }));
  }
}
