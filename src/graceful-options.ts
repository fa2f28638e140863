import type { LifecycleHook } from './lifecycle/hooks.interface.js';
import type { ConsulRegistrarOptions } from './registry/consul/consul-registrar-options.js';
import type { Registrar } from './registry/registrar.interface.js';

/** Everything `GracefulModule.forRoot()` accepts. Every field is optional; see README for each. */
export interface GracefulOptions {
  /** Instance id; default: host name, pid and a random suffix (unique per process). */
  id?: string;
  /** Service name; default: `name` of the app's package.json. */
  name?: string;
  /** Service version; default: `version` of the app's package.json. */
  version?: string;
  metadata?: Record<string, string>;
  /** Advertised endpoints; default: built from the real listening address after `listen()`. */
  endpoints?: string[];
  /** Host put in detected endpoints; default: the first non-internal IPv4 address. */
  advertiseHost?: string;
  /** Signals that start the stop; `[]` installs no handler. Default `['SIGTERM', 'SIGINT']`. */
  signals?: NodeJS.Signals[];
  /** A custom registry; exclusive with `consul`. */
  registrar?: Registrar;
  /** Register in Consul (the agent from `CONSUL_HTTP_ADDR` etc. when fields are left out); `{}` takes every default. */
  consul?: ConsulRegistrarOptions;
  /** Bound of each registration attempt and of the deregistration (ms). */
  registrarTimeout?: number;
  /** First retry delay after a failed registration (ms); doubles up to `registerRetryMaxDelay`. */
  registerRetryDelay?: number;
  registerRetryMaxDelay?: number;
  /** Keep serving this long after deregistering so balancers notice (ms). */
  shutdownDelay?: number;
  /** Bound of the drain of in-flight work (ms). */
  stopTimeout?: number;
  /** After `stopTimeout`, how long units get to react to the `abort` signal before their sockets are destroyed (ms). */
  abortGrace?: number;
  /** Bound of Nest's destroy/shutdown hooks and disposal (ms). */
  teardownTimeout?: number;
  /** Bound of each lifecycle hook (ms). */
  hookTimeout?: number;
  /** The orchestrator's grace period (Kubernetes' `terminationGracePeriodSeconds`, in ms): warn when the stop could outlast it. */
  gracePeriod?: number;
  /** A second stop signal during the stop exits at once. */
  forceExitOnSecondSignal?: boolean;
  /** A repeat of the same signal within this window is not a second signal (ms). */
  signalRepeatWindow?: number;
  /** Exit the process when a signal-started stop ends; `false` in tests. */
  exit?: boolean;
  /** Readiness stays down while the registration is pending or failed. */
  requireRegistration?: boolean;
  beforeStart?: LifecycleHook | LifecycleHook[];
  afterStart?: LifecycleHook | LifecycleHook[];
  beforeStop?: LifecycleHook | LifecycleHook[];
  afterStop?: LifecycleHook | LifecycleHook[];
}

type Resolved<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

/** Options after defaults; identity fields are filled in by the app-info builder. */
export interface ResolvedGracefulOptions
  extends Resolved<
    Omit<
      GracefulOptions,
      'id' | 'name' | 'version' | 'endpoints' | 'advertiseHost' | 'registrar' | 'consul' | 'beforeStart' | 'afterStart' | 'beforeStop' | 'afterStop'
    >
  > {
  id?: string;
  name?: string;
  version?: string;
  endpoints?: string[];
  advertiseHost?: string;
  registrar?: Registrar;
  beforeStart: LifecycleHook[];
  afterStart: LifecycleHook[];
  beforeStop: LifecycleHook[];
  afterStop: LifecycleHook[];
}

export const DEFAULT_OPTIONS = {
  metadata: {},
  signals: ['SIGTERM', 'SIGINT'] as NodeJS.Signals[],
  registrarTimeout: 5_000,
  registerRetryDelay: 1_000,
  registerRetryMaxDelay: 30_000,
  shutdownDelay: 0,
  stopTimeout: 10_000,
  abortGrace: 500,
  teardownTimeout: 10_000,
  hookTimeout: 5_000,
  gracePeriod: 30_000,
  forceExitOnSecondSignal: true,
  signalRepeatWindow: 500,
  exit: true,
  requireRegistration: true,
} satisfies Partial<ResolvedGracefulOptions>;
