import type { Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import {
  afterRunningHandlers,
  beginWebSocketHandler,
  closeWebSocket,
  closeWebSocketWith,
  webSocketOf,
  whenNoHandlerRuns,
} from '../../src/drain/websocket-close';

/** An upgraded socket as `ws` leaves it: its WebSocket under a symbol named "websocket" (ws' kWebSocket). */
function upgraded() {
  const ws = { close: vi.fn() };
  const socket = { [Symbol('websocket')]: ws } as unknown as Socket;
  return { ws, socket };
}

describe('webSocketOf', () => {
  it('finds the WebSocket ws keeps on an upgraded socket', () => {
    const { ws, socket } = upgraded();
    expect(webSocketOf(socket)).toBe(ws);
  });

  it('is undefined for a socket that carries no WebSocket', () => {
    expect(webSocketOf({} as Socket)).toBeUndefined();
    expect(webSocketOf({ [Symbol('websocket')]: {} } as unknown as Socket)).toBeUndefined();
  });
});

describe('closeWebSocket', () => {
  it('closes an idle WebSocket at once and says so', () => {
    const { ws } = upgraded();
    const onSent = vi.fn();
    closeWebSocket(ws, 1001, 'going away', onSent);
    expect(ws.close).toHaveBeenCalledWith(1001, 'going away');
    expect(onSent).toHaveBeenCalledOnce();
  });

  it('waits for the handlers already running on that client, not for ones begun later', () => {
    const { ws } = upgraded();
    const endA = beginWebSocketHandler(ws);
    const endB = beginWebSocketHandler(ws);
    const onSent = vi.fn();
    closeWebSocket(ws, 1001, 'going away', onSent);
    const endLater = beginWebSocketHandler(ws);
    endA();
    endA();
    expect(ws.close).not.toHaveBeenCalled();
    endB();
    expect(ws.close).toHaveBeenCalledOnce();
    expect(onSent).toHaveBeenCalledOnce();
    endLater();
    expect(ws.close).toHaveBeenCalledOnce();
  });

  it('does not wait for handlers on another client', () => {
    const { ws } = upgraded();
    beginWebSocketHandler({});
    closeWebSocket(ws, 1001, 'going away', vi.fn());
    expect(ws.close).toHaveBeenCalledOnce();
  });
});

describe('Socket.IO connections', () => {
  it('counts the handlers of every Socket.IO socket under one engine.io connection together', () => {
    const conn = {};
    const chat = { conn };
    const admin = { conn };
    const endChat = beginWebSocketHandler(chat);
    const endAdmin = beginWebSocketHandler(admin);
    const then = vi.fn();
    afterRunningHandlers(conn, then);
    endChat();
    expect(then).not.toHaveBeenCalled();
    endAdmin();
    expect(then).toHaveBeenCalledOnce();
  });

  it('whenNoHandlerRuns() waits for handlers begun meanwhile too, and runs at once when none runs', () => {
    const conn = {};
    const then = vi.fn();
    whenNoHandlerRuns(conn, then);
    expect(then).toHaveBeenCalledOnce();
    const endFirst = beginWebSocketHandler({ conn });
    const later = vi.fn();
    whenNoHandlerRuns(conn, later);
    const endSecond = beginWebSocketHandler({ conn });
    endFirst();
    expect(later).not.toHaveBeenCalled();
    endSecond();
    endSecond();
    expect(later).toHaveBeenCalledOnce();
  });

  it('lets the owner of a WebSocket close it instead of the 1001', () => {
    const { ws } = upgraded();
    const onSent = vi.fn();
    closeWebSocketWith(ws, (sent) => sent());
    closeWebSocket(ws, 1001, 'going away', onSent);
    expect(ws.close).not.toHaveBeenCalled();
    expect(onSent).toHaveBeenCalledOnce();
  });
});
