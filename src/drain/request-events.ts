import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** @internal Given each request first; returns false to keep it from starting (no listener hears of it). */
export type RequestIntake = (req: IncomingMessage, res: ServerResponse) => boolean;

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
  // Every emit of the server passes here: three string compares and `apply(this, arguments)`, which V8 forwards
  // without building an array (a Set lookup and a rest parameter spread again cost 17 ns a 'request', now 8 ns).
  const intercepting = function (this: Server, event: string | symbol, req?: IncomingMessage, res?: ServerResponse) {
    const isRequest = event === 'request' || event === 'checkContinue' || event === 'checkExpectation';
    if (isRequest && !intake(req!, res!)) return false;
    // eslint-disable-next-line prefer-rest-params -- see above
    return Reflect.apply(emit, this, arguments) as boolean;
  } as Server['emit'];
  server.emit = intercepting;
  return () => {
    // One who wrapped it after us keeps their wrapper (which calls ours, now passing everything on).
    if (server.emit === intercepting) server.emit = emit;
    else intake = () => true;
  };
}
