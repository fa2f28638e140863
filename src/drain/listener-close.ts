import { Server as NetServer } from 'node:net';
import { DrainUnit, type DrainLedger } from './drain-ledger.js';
import type { WorkKind } from './work-unit.interface.js';

/**
 * @internal How many turns of the event loop phase 5 keeps accepting while each still accepts
 * one: Node accepts a single queued connection per turn (measured: 32 queued connections took
 * 32 turns), so a full queue of the default backlog (511) needs that many.
 */
export const ACCEPT_UNTIL_QUIET_TURNS = 512;

/**
 * @internal The longest phase 5 keeps accepting, inside its 1 s bound: a process starved of CPU
 * takes 10 to 40 ms a turn (measured with three busy loops on 2 cores), and with a 100 ms cap
 * it closed its listener on 25 of 32 connections still queued.
 */
export const ACCEPT_UNTIL_QUIET_MS = 900;

/** @internal Holds the drain open while a listener told to close still accepts; no work itself. */
class ListenerUnit extends DrainUnit {
  readonly name = 'listener accepting what the kernel queued';
  readonly startedAt = performance.now();
  readonly isWork = false;

  constructor(
    readonly kind: WorkKind,
    private readonly close: () => void,
  ) {
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
 * {@link ACCEPT_UNTIL_QUIET_TURNS} turns or {@link ACCEPT_UNTIL_QUIET_MS}: under a steady stream
 * of connects no turn of the loop is quiet, and only a `shutdownDelay` that lets the balancers
 * stop sending avoids resets.
 * `net.Server`'s close, not `http.Server`'s: the latter destroys just-accepted sockets. `kind`
 * is the listener unit's in the logs: 'http', or 'rpc' for a TCP microservice.
 * Calls `closed`, if given, once it is closed, before the unit that held the drain open ends, and
 * resolves then: phase 5 ends only once its listeners really are closed.
 */
export function closeWhenQuiet(
  server: NetServer,
  ledger: DrainLedger,
  kind: WorkKind,
  accepted: () => number,
  closed?: () => void,
): Promise<void> {
  const until = performance.now() + ACCEPT_UNTIL_QUIET_MS;
  let turns = 0;
  let seen = accepted();
  let resolve!: () => void;
  const done = new Promise<void>((resolved) => (resolve = resolved));
  const close = (): void => {
    if (server.listening) NetServer.prototype.close.call(server);
    closed?.();
    ledger.end(unit);
    resolve();
  };
  const unit = new ListenerUnit(kind, close);
  ledger.add(unit);
  const check = (): void => {
    if (!unit.open) return;
    if (accepted() === seen || ++turns >= ACCEPT_UNTIL_QUIET_TURNS || performance.now() >= until) return close();
    seen = accepted();
    setImmediate(check);
  };
  setImmediate(check);
  return done;
}
