import type { Socket } from 'node:net';

/** @internal */
export interface WebSocketLike {
  close(code?: number, reason?: string): void;
}

/** One handler running for a client, and what waits for its end. */
interface Handler {
  onEnd: Array<() => void>;
}

/**
 * Per connection, the handlers GracefulInterceptor saw begin and not yet end: keyed by the
 * `ws` client, or by the engine.io connection under a Socket.IO socket (one connection
 * carries the sockets of every namespace).
 */
const running = new WeakMap<object, Set<Handler>>();

/** Per connection, what waits for no handler to be running on it: see {@link whenNoHandlerRuns}. */
const quietWaiters = new WeakMap<object, Array<() => void>>();

/** `ws` clients told at phase 5 that they will be closed: their messages from then on are refused. */
const closing = new WeakSet<object>();

/** `ws`' WebSocket.OPEN: a client past it is closing or closed. */
const WS_OPEN = 1;

/** WebSockets whose close their owner (Socket.IO's engine) does itself, instead of the 1001. */
const ownClosers = new WeakMap<object, (onSent: () => void) => void>();

/** The engine.io connection of a Socket.IO socket (`socket.conn`), else the client itself. */
function connectionOf(client: object): object {
  const conn = (client as { conn?: unknown }).conn;
  return typeof conn === 'object' && conn !== null ? conn : client;
}

/**
 * @internal Counts a message handler running for a WebSocket client (the object Nest's
 * `switchToWs().getClient()` returns); returns the function that ends it. Lets the
 * close wait for the reply: Nest's WsAdapter and IoAdapter drop a reply to a closing socket.
 */
export function beginWebSocketHandler(client: object): () => void {
  const key = connectionOf(client);
  let handlers = running.get(key);
  if (!handlers) running.set(key, (handlers = new Set()));
  const handler: Handler = { onEnd: [] };
  handlers.add(handler);
  return () => {
    if (!handlers.delete(handler)) return;
    for (const callback of handler.onEnd.splice(0)) callback();
    const waiters = handlers.size === 0 ? quietWaiters.get(key) : undefined;
    if (!waiters) return;
    quietWaiters.delete(key);
    for (const callback of waiters) callback();
  };
}

/**
 * @internal Whether a message from `client` must be refused before its handler runs: its
 * close began (phase 5 decided on the 1001, or either side sent a close frame). Its reply
 * could not be sent any more (a frame after the close frame breaks the protocol, and Nest's
 * WsAdapter drops it), so the handler is not run and the client, which gets no reply, may
 * send it again elsewhere. Socket.IO's clients are never refused: their close waits for
 * every handler, so each message is acked.
 */
export function refusesMessages(client: object): boolean {
  if (closing.has(client)) return true;
  const readyState = (client as { readyState?: unknown }).readyState;
  return typeof readyState === 'number' && readyState > WS_OPEN;
}

/**
 * @internal Runs `then` once no handler is running on `connection`, handlers begun meanwhile
 * included: closing a Socket.IO connection unsubscribes the handlers still running on it
 * (Nest's IoAdapter), which would drop their acks and end their units early.
 */
export function whenNoHandlerRuns(connection: object, then: () => void): void {
  if (!running.get(connection)?.size) return then();
  let waiters = quietWaiters.get(connection);
  if (!waiters) quietWaiters.set(connection, (waiters = []));
  waiters.push(then);
}

/**
 * @internal Runs `then` once the handlers already running on `connection` have ended, not
 * waiting for ones begun later, so a chatty client cannot postpone it.
 */
export function afterRunningHandlers(connection: object, then: () => void): void {
  const inFlight = [...(running.get(connection) ?? [])];
  let left = inFlight.length;
  if (left === 0) return then();
  for (const handler of inFlight) handler.onEnd.push(() => --left === 0 && then());
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
 * @internal `ws` is closed by `close` instead of a 1001 frame: it calls `onSent` once its
 * close is on its way. Socket.IO's WebSocket transport says so at phase 5.
 */
export function closeWebSocketWith(ws: object, close: (onSent: () => void) => void): void {
  ownClosers.set(ws, close);
}

/**
 * @internal Sends `ws` a close frame once the handlers already running on that client have
 * ended (or lets its owner close it, see {@link closeWebSocketWith}); from now on its
 * messages are refused ({@link refusesMessages}). `onSent` runs once the frame is sent.
 */
export function closeWebSocket(ws: WebSocketLike, code: number, reason: string, onSent: () => void): void {
  const own = ownClosers.get(ws);
  if (own) return own(onSent);
  closing.add(ws);
  afterRunningHandlers(ws, () => {
    ws.close(code, reason);
    onSent();
  });
}
