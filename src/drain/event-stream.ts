import type { ServerResponse } from 'node:http';
import { headerOf } from './response-head.js';

/** @internal A Server-Sent Events response (Nest's `@Sse()`): its head says `Content-Type: text/event-stream`. */
export function isEventStream(res: ServerResponse): boolean {
  return /^text\/event-stream/i.test(headerOf(res, 'content-type'));
}

/**
 * @internal Ends an event stream whose head is out: the last chunk of its chunked body, a
 * clean end the client's EventSource answers by reconnecting (elsewhere, once this
 * connection is closed). Nest's SseStream stays piped into the response until the socket
 * closes: an event it writes between this `end()` and the response's 'close' makes the
 * response emit ERR_STREAM_WRITE_AFTER_END, which the pipe rethrows (an uncaught
 * exception) when nothing else listens; it is dropped here, as the events after the end are.
 */
export function endEventStream(res: ServerResponse): void {
  if (res.writableEnded) return;
  res.on('error', ignore);
  res.end();
}

/** @internal Calls `then` once `res` sent its head as an event stream: one begun after phase 5 ends at once, after what it has written. */
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
