import type { ServiceInstance } from './service-instance.interface.js';

/**
 * Finds the instances of a service in a registry and follows their changes
 * (kratos `registry.Discovery`). The counterpart of `Registrar`.
 */
export interface Discovery {
  /** The instances that pass their checks now: one query, no watch. */
  getService(name: string, signal?: AbortSignal): Promise<ServiceInstance[]>;
  /** Follows the instances of `name`; nothing is queried before the first `next()`. */
  watch(name: string): Watcher;
}

/** Follows one service (kratos `registry.Watcher`). One consumer per watcher. */
export interface Watcher {
  /**
   * The first call resolves with the instances once they are known; each later call with
   * the next list that differs from the last one returned.
   *
   * Rejects, and keeps watching, when the registry refuses the watch (a wrong token, a
   * bad filter) or cannot be reached before any list was known: call it again to go on.
   * While the registry is unreachable after that, it does not reject: the last list stays
   * the best knowledge. Rejects for good once `stop()` ran, and when `signal` fires.
   */
  next(signal?: AbortSignal): Promise<ServiceInstance[]>;
  /** Ends the watch: the query in flight is aborted and a pending `next()` rejects. */
  stop(): Promise<void>;
}
