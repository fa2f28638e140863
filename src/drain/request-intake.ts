import type { Socket } from 'node:net';
import type { CoarseClock } from './coarse-clock.js';
import type { ConnectionGrace } from './connection-grace.js';
import type { DrainLedger } from './drain-ledger.js';
import { endEventStream, whenEventStreamStarts } from './event-stream.js';
import { RequestUnit, type Connection, type RequestOwner } from './http-units.js';
import type { RequestIntake } from './request-events.js';

/** @internal What the intake reads of the HTTP/1.1 tracker it feeds. */
export interface IntakeContext {
  readonly owner: RequestOwner;
  readonly ledger: DrainLedger;
  readonly clock: CoarseClock;
  readonly grace: ConnectionGrace;
  connectionOf(socket: Socket): Connection | undefined;
  /** Phase 5 began: the listener is closing or closed. */
  closing(): boolean;
}

/**
 * @internal Each request, before any listener: a unit, unless it must not start (returns false).
 * After phase 5, only the last request read on a connection says `Connection: close`:
 * Node ends the socket after such a response and never sends those queued behind it
 * (measured: a second pipelined request ran and went unanswered, 10 of 10 stops). A
 * request read after its connection's last response went out is never started, as RFC
 * 9112 (9.6) asks: Node would run its handler and lose the answer.
 */
export function requestIntake(context: IntakeContext): RequestIntake {
  const { owner, ledger, clock, grace } = context;
  return (req, res) => {
    // An HTTP/2 request (compatibility API) is its stream, tracked by Http2Sessions.
    if (req.httpVersionMajor === 2) return true;
    const connection = context.connectionOf(req.socket);
    const previous = connection?.last;
    // A 'checkContinue' listener that hands the request on as 'request'.
    if (previous?.req === req) return true;
    if (context.closing() && connection?.saidClose) {
      req.resume();
      return false;
    }
    const unit = new RequestUnit(owner, req, res, connection, clock.now);
    ledger.add(unit);
    if (connection) {
      connection.active++;
      connection.last = unit;
      grace.stopWaiting(connection);
    }
    if (context.closing()) {
      previous?.takeBackClose();
      sayClose(unit);
    }
    res.on('close', unit.onClose);
    return true;
  };
}

/**
 * @internal After phase 5, a response not yet begun: `Connection: close` if it is its connection's
 * last, and an event stream it begins is ended at once.
 */
export function sayClose(unit: RequestUnit): void {
  if (unit.connection === undefined || unit.connection.last === unit) unit.tellClose();
  whenEventStreamStarts(unit.res, () => endEventStream(unit));
}
