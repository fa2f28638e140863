import type { PendingUnit, WorkKind } from './work-unit.interface.js';

/** @internal The two moments a unit is told about: the stop began (phase 1), the deadline passed (phase 7). */
export type StopMoment = 'draining' | 'abort';

/**
 * @internal One thing the drain waits for, known by its identity (the object itself). The ledger
 * links its open units through them: adding and ending one allocates nothing and hashes
 * nothing, on every request's path.
 */
export abstract class DrainUnit {
  abstract readonly kind: WorkKind;
  /** Read only when the unit is listed (progress log, abort), so it may be computed. */
  abstract readonly name: string;
  /** `performance.now()` when it began. */
  abstract readonly startedAt: number;
  /**
   * Work (a request, a handler or stream, a job) counts as drained when it ends during the
   * drain and as aborted when cut. A connection that may still bring a request, or a
   * WebSocket close handshake, only holds the drain open: no request is lost with it.
   */
  abstract readonly isWork: boolean;
  /** @internal The ledger's links; `open` while it is in one. */
  open = false;
  /** @internal */
  previous: DrainUnit | undefined = undefined;
  /** @internal */
  next: DrainUnit | undefined = undefined;

  /** Passes a stop moment on to the unit's own signals, if it made any. */
  notify(_moment: StopMoment, _reason: unknown): void {}

  /** Ends it for good at the cut (destroys its socket). */
  cut(): void {}
}

/**
 * @internal Every unit of in-flight work of one app, by identity: HTTP connections and requests,
 * WebSocket closes, handlers, streams and jobs. A hand-off (a connection in its grace that
 * receives a request, a request that begins a job) adds the next unit before it ends the
 * previous one, so the ledger is never empty in between. `drained` and `aborted` are
 * counted from the identities, so neither can be negative.
 */
export class DrainLedger {
  private first: DrainUnit | undefined = undefined;
  private last: DrainUnit | undefined = undefined;
  private count = 0;
  private wakers: Array<() => void> = [];
  private counting = false;
  private sealedValue = false;
  private drainedCount = 0;
  private readonly abortedUnits: PendingUnit[] = [];
  private readonly fired = new Map<StopMoment, unknown>();

  get size(): number {
    return this.count;
  }

  /** Work units that ended after {@link countFromNow}, not counting those cut. */
  get drained(): number {
    return this.drainedCount;
  }

  /**
   * Since the stop began: the work units still open at the {@link cut}, those that ended
   * unfinished ({@link endAborted}) and those refused after the drain ({@link refuse}).
   */
  get aborted(): readonly PendingUnit[] {
    return this.abortedUnits;
  }

  /** The drain ended (idle, or {@link cut}): nothing waits for work begun from now on. */
  get sealed(): boolean {
    return this.sealedValue;
  }

  /** Opens `unit` (made for this ledger); adding it again does nothing. */
  add(unit: DrainUnit): void {
    if (unit.open) return;
    unit.open = true;
    unit.previous = this.last;
    unit.next = undefined;
    if (this.last) this.last.next = unit;
    else this.first = unit;
    this.last = unit;
    this.count++;
  }

  /** Ends `unit`; returns false if it was not open (ended before, or cut). */
  end(unit: DrainUnit): boolean {
    if (!unit.open) return false;
    this.unlink(unit);
    if (this.counting && unit.isWork) this.drainedCount++;
    if (this.count === 0 && this.wakers.length > 0) this.wake();
    return true;
  }

  /**
   * Ends `unit` as aborted: it stopped without finishing (a stream completed at the deadline, a
   * job that gave up). Before the stop began it is the app's business, not the stop's: not kept.
   */
  endAborted(unit: DrainUnit): boolean {
    if (!unit.open) return false;
    this.unlink(unit);
    if (unit.isWork && this.fired.size > 0) this.abortedUnits.push(pendingOf(unit, performance.now()));
    if (this.count === 0 && this.wakers.length > 0) this.wake();
    return true;
  }

  isOpen(unit: DrainUnit): boolean {
    return unit.open;
  }

  /** The open units, oldest first. Take a copy (`[...units()]`) to end units while going through them. */
  *units(): IterableIterator<DrainUnit> {
    for (let unit = this.first; unit; unit = unit.next) yield unit;
  }

  /** The drain began (the listeners closed): work ending from now on counts as drained. */
  countFromNow(): void {
    this.counting = true;
  }

  /** Tells the open units; a unit that makes its signals later finds them already fired. */
  notify(moment: StopMoment, reason: unknown): void {
    if (this.fired.has(moment)) return;
    this.fired.set(moment, reason);
    for (const unit of [...this.units()]) unit.notify(moment, reason);
  }

  /** A controller for a unit's own signal, aborted already if `moment` has passed. */
  controllerFor(moment: StopMoment): AbortController {
    const controller = new AbortController();
    if (this.fired.has(moment)) controller.abort(this.fired.get(moment));
    return controller;
  }

  /**
   * Resolves once nothing is open and still nothing is after a poll phase (what a socket's
   * buffer already holds is then read and would have begun a unit), or when `signal` fires.
   * Never rejects.
   */
  async whenIdle(signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted) {
      if (this.count > 0) {
        await this.nextEmpty(signal);
        continue;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.count === 0) return;
    }
  }

  /** The drain ended with nothing open: work begun from now on is refused. */
  seal(): void {
    this.sealedValue = true;
  }

  /** Work someone tried to begin after the drain ended: it runs untracked, if at all, so it counts as aborted. */
  refuse(unit: Pick<PendingUnit, 'kind' | 'name'>): void {
    this.abortedUnits.push({ ...unit, ageMs: 0 });
  }

  /**
   * Cuts every open unit and seals; returns everything aborted: the work among them, and what ended unfinished before.
   */
  cut(): readonly PendingUnit[] {
    this.seal();
    const now = performance.now();
    const units = [...this.units()];
    for (const unit of units) this.unlink(unit);
    for (const unit of units) if (unit.isWork) this.abortedUnits.push(pendingOf(unit, now));
    for (const unit of units) unit.cut();
    this.wake();
    return this.abortedUnits;
  }

  /** Open units by kind, for the progress log: `{ http: 2, background: 1 }`. */
  countByKind(): Partial<Record<WorkKind, number>> {
    const counts: Partial<Record<WorkKind, number>> = {};
    for (const unit of this.units()) counts[unit.kind] = (counts[unit.kind] ?? 0) + 1;
    return counts;
  }

  private unlink(unit: DrainUnit): void {
    unit.open = false;
    if (unit.previous) unit.previous.next = unit.next;
    else this.first = unit.next;
    if (unit.next) unit.next.previous = unit.previous;
    else this.last = unit.previous;
    unit.previous = unit.next = undefined;
    this.count--;
  }

  private nextEmpty(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.wakers.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}

function pendingOf(unit: DrainUnit, now: number): PendingUnit {
  return { kind: unit.kind, name: unit.name, ageMs: Math.round(now - unit.startedAt) };
}
