import { deepFreeze } from './common/deep-freeze.js';
import type { LifecycleHook } from './lifecycle/hooks.interface.js';
import type { ReadinessPolicy } from './lifecycle/lifecycle-options.interface.js';
import type { ConsulRegistrarOptions } from './registry/consul/consul-registrar-options.js';
import type { Registrar } from './registry/registrar.interface.js';

export type { ReadinessPolicy };

/** Everything `GracefulModule.forRoot()` accepts. Every field is optional; durations are in milliseconds. */
export interface GracefulOptions {
  /** Instance id. Default: `<hostname>-<pid>-<6 hex>`, unique per process. */
  id?: string;
  /**
   * Service name. Default: `name` of the app's package.json (the nearest one above the entry
   * script, else the one in the current directory), made DNS-safe (`@acme/orders-api` →
   * `acme-orders-api`); `nest-app` with a warning when there is none.
   */
  name?: string;
  /** Service version. Default: `version` of the same package.json; `0.0.0` with a warning when there is none. */
  version?: string;
  /** String key/values put in the registry (Consul's Meta). Default `{}`. */
  metadata?: Record<string, string>;
  /**
   * Advertised URLs such as `['http://10.0.0.5:3000']`. Default: built from the real listening address after
   * `listen()`.
   */
  endpoints?: string[];
  /**
   * Host put in detected endpoints. Default: the first non-internal IPv4 address (127.0.0.1 with a warning if none);
   * never `0.0.0.0`.
   */
  advertiseHost?: string;
  /** Signals that start the stop; `[]` installs no handler (tests). Default `['SIGTERM', 'SIGINT']`. */
  signals?: NodeJS.Signals[];
  /** Your own registry (`register`, `deregister`, optional `close`); exclusive with `consul`. Default: none. */
  registrar?: Registrar;
  /**
   * Register in Consul; `{}` takes the agent from `CONSUL_HTTP_ADDR` (else 127.0.0.1:8500) and every default. Default:
   * none.
   */
  consul?: ConsulRegistrarOptions;
  /** What readiness waits for at start, see {@link ReadinessPolicy}. Default `'listening'`. */
  readiness?: ReadinessPolicy;
  /** Bound of each registration attempt and of the deregistration. Default 3000. */
  registrarTimeout?: number;
  /** First retry delay after a failed registration; doubles up to `registerRetryMaxDelay`. Default 1000. */
  registerRetryDelay?: number;
  /** Cap of the registration retry delay. Default 30000. */
  registerRetryMaxDelay?: number;
  /**
   * Keep serving this long after deregistering, while balancers notice. Default 0 (set it in Kubernetes, see README).
   */
  shutdownDelay?: number;
  /** Bound of the drain of in-flight work. Default 10000. */
  stopTimeout?: number;
  /**
   * After `stopTimeout`, how long units get to react to the `abort` signal before their sockets are destroyed. Default
   * 500.
   */
  abortGrace?: number;
  /** Bound of Nest's destroy/shutdown hooks and disposal. Default 5000. */
  teardownTimeout?: number;
  /** Bound of each lifecycle hook. Default 5000. */
  hookTimeout?: number;
  /**
   * The orchestrator's grace period (Kubernetes' `terminationGracePeriodSeconds` × 1000): warn when the stop could
   * outlast it. Default 30000.
   */
  gracePeriod?: number;
  /** A second stop signal during the stop exits at once with code 1. Default `true`. */
  forceExitOnSecondSignal?: boolean;
  /** A repeat of the same signal within this window is the same stop, not a second signal. Default 500. */
  signalRepeatWindow?: number;
  /** Exit the process when a signal-started stop ends (code 0 or 1). Default `true`; `false` in tests. */
  exit?: boolean;
  /** Run after `listen()`, before registration. */
  beforeStart?: LifecycleHook | LifecycleHook[];
  /** Run once ready (after the registration when `readiness` is `'registered'`). */
  afterStart?: LifecycleHook | LifecycleHook[];
  /** Run right after readiness went down, before the deregistration. */
  beforeStop?: LifecycleHook | LifecycleHook[];
  /** Run after Nest's teardown, before the stop report. */
  afterStop?: LifecycleHook | LifecycleHook[];
}

type Resolved<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

/** Options after defaults; identity fields are filled in by the app-info builder, `consul` becomes `registrar`. */
export interface ResolvedGracefulOptions extends Resolved<
  Omit<
    GracefulOptions,
    | 'id'
    | 'name'
    | 'version'
    | 'endpoints'
    | 'advertiseHost'
    | 'registrar'
    | 'consul'
    | 'beforeStart'
    | 'afterStart'
    | 'beforeStop'
    | 'afterStop'
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
  /** @internal Set by `gracefulTestingFactory()`: nothing may lengthen the stop behind the test's back. */
  testing?: boolean;
}

/**
 * The defaults, frozen. They fit Kubernetes' default grace period of 30 s: with a registrar
 * and `shutdownDelay: 5000` the stop's bounds add up to 2 × 3000 (deregistration, registrar
 * close) + 5000 + 1000 (close) + 10000 + 500 + 1000 (disconnect) + 5000 = 28 500 ms, 29 500
 * with the watchdog's slack.
 */
export const DEFAULT_OPTIONS = deepFreeze({
  metadata: {},
  signals: ['SIGTERM', 'SIGINT'] as NodeJS.Signals[],
  readiness: 'listening' as ReadinessPolicy,
  registrarTimeout: 3_000,
  registerRetryDelay: 1_000,
  registerRetryMaxDelay: 30_000,
  shutdownDelay: 0,
  stopTimeout: 10_000,
  abortGrace: 500,
  teardownTimeout: 5_000,
  hookTimeout: 5_000,
  gracePeriod: 30_000,
  forceExitOnSecondSignal: true,
  signalRepeatWindow: 500,
  exit: true,
} satisfies Partial<ResolvedGracefulOptions>);
