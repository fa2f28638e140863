import type { Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { beginWebSocketHandler, closeWebSocket } from '../../src/drain/websocket-close';

/** An upgraded socket as `ws` leaves it: its WebSocket under a symbol named "websocket" (ws' kWebSocket). */
function upgraded() {
  const ws = { close: vi.fn() };
  const socket = { [Symbol('websocket')]: ws } as unknown as Socket;
  return { ws, socket };
}

describe('closeWebSocket', () => {
  it('returns false for a socket that carries no WebSocket', () => {
    expect(closeWebSocket({} as Socket, 1001, 'going away')).toBe(false);
  });

  it('closes an idle WebSocket at once and says so', () => {
    const { ws, socket } = upgraded();
    const onSent = vi.fn();
    expect(closeWebSocket(socket, 1001, 'going away', onSent)).toBe(true);
    expect(ws.close).toHaveBeenCalledWith(1001, 'going away');
    expect(onSent).toHaveBeenCalledOnce();
  });

  it('waits for the handlers already running on that client, not for ones begun later', () => {
    const { ws, socket } = upgraded();
    const endA = beginWebSocketHandler(ws);
    const endB = beginWebSocketHandler(ws);
    const onSent = vi.fn();
    closeWebSocket(socket, 1001, 'going away', onSent);
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
    const { ws, socket } = upgraded();
    beginWebSocketHandler({});
    closeWebSocket(socket, 1001, 'going away');
    expect(ws.close).toHaveBeenCalledOnce();
  });
});
