/** What kind of work a unit is, as logged when it is aborted. */
export type WorkKind = 'http' | 'rpc' | 'ws' | 'stream' | 'background';

/** A unit of work still running, as the drain and the stop report see it. */
export interface PendingUnit {
  readonly kind: WorkKind;
  /** Method and path for HTTP, handler or pattern for RPC/WebSocket, the given name for background work. */
  readonly name: string;
  /** How long it has been running, in ms. */
  readonly ageMs: number;
}

/** A unit of work begun with `WorkTracker.begin()`: call `done()` when it ends (like `sync.WaitGroup.Done`). */
export interface WorkHandle {
  /** Ends the unit; calling it again does nothing. May be passed around unbound (`promise.then(job.done)`). */
  readonly done: () => void;
  /**
   * Ends the unit as aborted: it stopped without finishing (say, it gave up at `abort`). The
   * stop report lists it under `aborted` and the stop exits 1; `done()` would count it as
   * drained. Calling either again does nothing. May be passed around unbound.
   */
  readonly abandon: () => void;
  /**
   * This unit's own signal that fires when the stop begins: finish politely. Created on first
   * read (already fired if the stop has begun), so a listener here is the only one on it.
   */
  readonly draining: AbortSignal;
  /** This unit's own signal that fires when the drain deadline passed: give up now. */
  readonly abort: AbortSignal;
}
