import { setTimeout as sleep } from 'node:timers/promises';
import { ConsulRegistrarError, isError } from './consul-errors.js';
import type { ConsulServiceRegistration } from './consul-service-definition.js';

/** An entry of `GET /v1/catalog/service/:name`, as read here. */
export interface CatalogEntry {
  Node: string;
  ServiceID: string;
  ServiceAddress?: string;
  ServicePort?: number;
}

/** @internal The two catalog calls, each bounded by `signal` and failing with a ConsulRegistrarError. */
export interface CatalogCalls {
  /** The service's entries, as the servers hold them (what callers read through any agent). */
  entries(signal: AbortSignal): Promise<CatalogEntry[]>;
  /** `PUT /v1/catalog/deregister` of the service on `node`: the servers hold it until a leader exists. */
  remove(node: string, signal: AbortSignal): Promise<void>;
}

/** Between two catalog attempts that failed (no leader yet: the servers answer 500 during an election). */
const RETRY_PAUSE_MS = 100;

/**
 * @internal After the agent took a deregistration: returns once the servers' catalog no longer
 * lists the instance. An agent answers 200 even when it could not sync the change to the servers
 * (measured with the leader killed just before the stop: 200 in 10-30 ms, the catalog listing the
 * instance 2 to over 60 s longer, until a later sync of the agent), and callers read the catalog.
 * So an entry still there is removed from the catalog itself, by the same service:write token.
 * Throws, once `signal` fired, if the catalog could not be seen without it.
 */
export async function leaveCatalog(
  registration: Pick<ConsulServiceRegistration, 'id' | 'address' | 'port'>,
  catalog: CatalogCalls,
  signal: AbortSignal,
  agent: string,
): Promise<void> {
  const started = Date.now();
  let problem = 'never answered';
  while (!signal.aborted) {
    try {
      const mine = (await catalog.entries(signal)).find((entry) => isEntryOf(registration, entry));
      if (!mine) return;
      problem = `still listed it on node "${mine.Node}"`;
      await catalog.remove(mine.Node, signal);
    } catch (error) {
      if (signal.aborted) break;
      problem = isError(error) ? error.message : String(error);
      await sleep(RETRY_PAUSE_MS, undefined, { signal }).catch(() => undefined);
    }
  }
  throw new ConsulRegistrarError(
    `${agent} took the deregistration of "${registration.id}", but the Consul catalog that callers read could ` +
      `not be seen without it within ${Date.now() - started} ms (last: ${problem}): the agent may have failed to ` +
      `sync it to the servers (no leader?); callers may still be sent to this instance`,
    'deregistration',
    { aborted: true, abortReason: signal.reason },
  );
}

/** The same service ID at the same address and port: another node's instance with a reused ID is left alone. */
function isEntryOf(registration: Pick<ConsulServiceRegistration, 'id' | 'address' | 'port'>, entry: CatalogEntry) {
  if (entry.ServiceID !== registration.id) return false;
  if (registration.port !== undefined && entry.ServicePort !== registration.port) return false;
  return registration.address === undefined || entry.ServiceAddress === registration.address;
}
