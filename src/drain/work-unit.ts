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
