import type { Registrar } from '../registry/registrar.interface.js';
import type { LifecycleHook } from './hooks.interface.js';

/**
 * What readiness waits for at start (and what it answers while the registry is unreachable):
 * - `'listening'`: ready once the HTTP server listens and the `beforeStart` hooks ran; the
 *   registration goes on in the background and the health body shows its status.
 * - `'registered'`: ready only once the registry accepted the instance; while it is down,
 *   readiness stays down (`reason: 'registering'`). Without a registry both are the same.
 */
export type ReadinessPolicy = 'listening' | 'registered';

/** What the lifecycle reads of the validated options (the module face adds identity fields). */
export interface LifecycleOptions {
  readonly signals: readonly NodeJS.Signals[];
  readonly registrar?: Registrar;
  readonly endpoints?: readonly string[];
  readonly advertiseHost?: string;
  readonly registrarTimeout: number;
  readonly registerRetryDelay: number;
  readonly registerRetryMaxDelay: number;
  /** Not readonly: TerminusShutdownWait may raise it at bootstrap; the stop reads it when it runs. */
  shutdownDelay: number;
  readonly stopTimeout: number;
  readonly abortGrace: number;
  readonly teardownTimeout: number;
  readonly hookTimeout: number;
  readonly gracePeriod: number;
  readonly forceExitOnSecondSignal: boolean;
  readonly signalRepeatWindow: number;
  readonly exit: boolean;
  readonly readiness: ReadinessPolicy;
  readonly beforeStart: readonly LifecycleHook[];
  readonly afterStart: readonly LifecycleHook[];
  readonly beforeStop: readonly LifecycleHook[];
  readonly afterStop: readonly LifecycleHook[];
}
