import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { DrainUnit, type DrainLedger } from './drain-ledger.js';

/**
 * @internal The longest phase 5 keeps accepting while connections still arrive: longer than a
 * burst of connects around the stop signal, shorter than anything a caller notices.
 */
export const ACCEPT_UNTIL_QUIET_MS = 100;

/** @internal Holds the drain open while a listener told to close still accepts; no work itself. */
class ListenerUnit extends DrainUnit {
  readonly kind = 'http';
  readonly name = 'listener accepting what the kernel queued';
  readonly startedAt = performance.now();
  readonly isWork = false;

  constructor(private readonly close: () => void) {
    super();
  }

  override cut(): void {
    this.close();
  }
}

/**
 * @internal Stops `server` accepting. Closing a listener resets the connections in the kernel's
 * accept queue, which their clients saw succeed, so it is closed in a check phase whose poll
 * phase accepted none (`accepted()` counts them): the queue was empty a moment before. Up to
 * {@link ACCEPT_UNTIL_QUIET_MS}: under a steady stream of connects no turn of the loop is
 * quiet, and only a `shutdownDelay` that lets the balancers stop sending avoids resets.
 * `net.Server`'s close, not `http.Server`'s: the latter destroys just-accepted sockets.
 * Calls `closed` once it is closed, before the unit that held the drain open ends, and
 * resolves then: phase 5 ends only once its listeners really are closed.
 */
export function closeWhenQuiet(
  server: Server,
  ledger: DrainLedger,
  accepted: () => number,
  closed: () => void,
): Promise<void> {
  const until = performance.now() + ACCEPT_UNTIL_QUIET_MS;
  let seen = accepted();
  let resolve!: () => void;
  const done = new Promise<void>((resolved) => (resolve = resolved));
  const close = (): void => {
    if (server.listening) NetServer.prototype.close.call(server);
    closed();
    ledger.end(unit);
    resolve();
  };
  const unit = new ListenerUnit(close);
  ledger.add(unit);
  const check = (): void => {
    if (!unit.open) return;
    if (accepted() === seen || performance.now() >= until) return close();
    seen = accepted();
    setImmediate(check);
  };
  setImmediate(check);
  return done;
}
