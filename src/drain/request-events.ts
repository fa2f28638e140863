import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** @internal Given each request first; returns false to keep it from starting (no listener hears of it). */
export type RequestIntake = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The events Node's HTTP server emits a parsed request as. */
const REQUEST_EVENTS = new Set<string | symbol>(['request', 'checkContinue', 'checkExpectation']);

/**
 * @internal Puts `intake` before every listener of a request, whichever event Node emits it
 * as: 'request', or 'checkContinue' / 'checkExpectation' (`Expect:`) when the app listens
 * to those. Listening to them here instead would change what Node does: it answers
 * `100 Continue` itself, and `417` to another expectation, only when nobody listens.
 * Wrapping `emit` also lets the intake keep a request from reaching the app at all.
 * Returns what puts `emit` back.
 */
export function interceptRequests(server: Server, intake: RequestIntake): () => void {
  const emit = server.emit;
  const intercepting = function (this: Server, event: string | symbol, ...args: unknown[]) {
    if (REQUEST_EVENTS.has(event) && !intake(args[0] as IncomingMessage, args[1] as ServerResponse)) return false;
    return (emit as (event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args);
  } as Server['emit'];
  server.emit = intercepting;
  return () => {
    // One who wrapped it after us keeps their wrapper (which calls ours, now passing everything on).
    if (server.emit === intercepting) server.emit = emit;
    else intake = () => true;
  };
}
