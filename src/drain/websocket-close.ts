import type { Socket } from 'node:net';

/** @internal */
export interface WebSocketLike {
  close(code?: number, reason?: string): void;
}

/** One handler running for a client, and what waits for its end. */
interface Handler {
  onEnd: Array<() => void>;
}

/** Per `ws` client, the handlers GracefulInterceptor saw begin and not yet end. */
const running = new WeakMap<object, Set<Handler>>();

/**
 * @internal Counts a message handler running for a WebSocket client (the object Nest's
 * `switchToWs().getClient()` returns); returns the function that ends it. Lets the
 * 1001 close wait for the reply: Nest's WsAdapter drops a reply to a closing socket.
 */
export function beginWebSocketHandler(client: object): () => void {
  let handlers = running.get(client);
  if (!handlers) running.set(client, (handlers = new Set()));
  const handler: Handler = { onEnd: [] };
  handlers.add(handler);
  return () => {
    if (!handlers.delete(handler)) return;
    for (const callback of handler.onEnd.splice(0)) callback();
  };
}

/**
 * @internal The `ws` library (behind Nest's WsAdapter and socket.io) keeps its WebSocket on the
 * upgraded socket under a symbol named "websocket" (`kWebSocket`). Closing through it
 * sends a proper close frame instead of cutting the TCP connection. Undefined when the
 * socket carries no WebSocket.
 */
export function webSocketOf(socket: Socket): WebSocketLike | undefined {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'websocket');
  const ws = key ? (socket as unknown as Record<symbol, WebSocketLike | undefined>)[key] : undefined;
  return ws && typeof ws.close === 'function' ? ws : undefined;
}

/**
 * @internal Sends `ws` a close frame once the handlers already running on that client have ended,
 * not waiting for ones begun later, so a chatty client cannot postpone it. `onSent` runs
 * once the frame is sent.
 */
export function closeWebSocket(ws: WebSocketLike, code: number, reason: string, onSent?: () => void): void {
  const close = () => {
    ws.close(code, reason);
    onSent?.();
  };
  const inFlight = [...(running.get(ws) ?? [])];
  let left = inFlight.length;
  if (left === 0) close();
  for (const handler of inFlight) handler.onEnd.push(() => --left === 0 && close());
}
