import type { ServerResponse } from 'node:http';
import type { RequestUnit } from './http-units.js';
import { headerOf } from './response-head.js';

/** @internal A Server-Sent Events response (Nest's `@Sse()`): its head says `Content-Type: text/event-stream`. */
export function isEventStream(res: ServerResponse): boolean {
  return /^text\/event-stream/i.test(headerOf(res, 'content-type'));
}

/**
 * @internal Ends an event stream whose head is out, at phase 5 (measured: endless streams held
 * the stop to stopTimeout, then were reset): the last chunk of its chunked body, a clean end
 * the client's EventSource answers by reconnecting. Its head said keep-alive: when it is its
 * connection's last response, the connection is ended after it, so that the client
 * reconnects elsewhere and Nest, seeing the socket close, releases its subscription. Nest's
 * SseStream stays piped into the response until then: an event it writes after this `end()`
 * makes the response emit ERR_STREAM_WRITE_AFTER_END, which the pipe rethrows (uncaught)
 * when nothing else listens; it is dropped here, as the events after the end are.
 */
export function endEventStream(unit: RequestUnit): void {
  if (unit.res.writableEnded) return;
  unit.res.on('error', ignore);
  unit.res.end();
  if (unit.connection?.last === unit) unit.connection.socket.end();
}

/**
 * @internal Calls `then` once `res` sent its head as an event stream: one begun after phase 5 ends at once, after what
 * it has written.
 */
export function whenEventStreamStarts(res: ServerResponse, then: () => void): void {
  const writeHead = res.writeHead;
  // Node writes every head through `writeHead()`, the implicit one of write() and end() too.
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    res.writeHead = writeHead;
    const result = (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    if (isEventStream(res)) setImmediate(then);
    return result;
  } as ServerResponse['writeHead'];
}

function ignore(): void {}
