/**
 * @internal What the drain drives on each tracker of an HTTP server: the HTTP/1.1 connections
 * of any server, and the sessions of an HTTP/2 one. Called in the order they were made.
 */
export interface HttpTracker {
  /** Phase 5: stop taking new work (close the listener; GOAWAY on HTTP/2 sessions); resolves once it has. */
  closeListener(): Promise<void> | void;
  /** End of the drain: close what is left, none of it with a request in flight. */
  destroyAll(): void;
  /** Remove the listeners put on the server. */
  detach(): void;
}
