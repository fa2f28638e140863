import { deepFreeze } from '../../common/deep-freeze.js';

/** The Consul registrar's defaults (ms), frozen. */
export const CONSUL_DEFAULTS = deepFreeze({
  /** TTL of the default check; the heartbeat passes it every `ttl / 3`. */
  ttl: 10_000,
  /** Interval of an HTTP check. */
  httpInterval: 10_000,
  /** Timeout of an HTTP check. */
  httpTimeout: 5_000,
  /** How often, with an HTTP check, the registrar looks whether the agent still knows the service. */
  syncInterval: 10_000,
  /** Consul reaps critical services every 30 s and honours no less than a minute. */
  deregisterCriticalServiceAfter: 60_000,
});
