import type { ServiceInstance } from './service-instance.interface.js';

/**
 * A service registry the lifecycle registers the instance in after the HTTP server
 * listens, and deregisters it from first thing on stop (kratos `registry.Registrar`).
 *
 * Both calls receive an `AbortSignal` that fires when their bound (`registrarTimeout`)
 * passes or the call is no longer wanted (a stop cancels a registration in flight).
 * An implementation must stop its network work when it fires, so that a registration
 * cannot land after the deregistration.
 */
export interface Registrar {
  /**
   * Where the registry is, for the lifecycle's log lines and readiness body, e.g.
   * `the Consul agent at http://127.0.0.1:8500`. Optional: `the registry` without it.
   */
  readonly target?: string;
  register(instance: ServiceInstance, signal: AbortSignal): Promise<void>;
  deregister(instance: ServiceInstance, signal: AbortSignal): Promise<void>;
  /** Release sockets and timers (heartbeats) at the very end of the stop. Optional. */
  close?(): Promise<void>;
}
