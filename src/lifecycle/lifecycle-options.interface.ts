import type { Registrar } from '../registry/registrar.interface.js';
import type { LifecycleHook } from './hooks.interface.js';

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
  readonly requireRegistration: boolean;
  readonly beforeStart: readonly LifecycleHook[];
  readonly afterStart: readonly LifecycleHook[];
  readonly beforeStop: readonly LifecycleHook[];
  readonly afterStop: readonly LifecycleHook[];
}
