import { AsyncLocalStorage } from 'node:async_hooks';

/** Set while a handler runs inside work a drain participant tracks at its transport. */
const trackedByTransport = new AsyncLocalStorage<true>();

/**
 * @internal Runs `body`, and every handler it leads to, as part of a unit a drain participant
 * already tracks (a Kafka message, a gRPC call), so that GracefulInterceptor does not count it twice.
 */
export function asTransportUnit<T>(body: () => T): T {
  return trackedByTransport.run(true, body);
}

/** @internal Whether the code running belongs to a unit a drain participant tracks at its transport. */
export function inTransportUnit(): boolean {
  return trackedByTransport.getStore() === true;
}
