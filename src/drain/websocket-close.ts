import type { Socket } from 'node:net';

interface WebSocketLike {
  close(code?: number, reason?: string): void;
}

/**
 * The `ws` library (behind Nest's WsAdapter and socket.io) keeps its WebSocket on the
 * upgraded socket under a symbol named "websocket". Closing through it sends a proper
 * close frame instead of cutting the TCP connection.
 */
export function closeWebSocket(socket: Socket, code: number, reason: string): boolean {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'websocket');
  const ws = key ? (socket as unknown as Record<symbol, WebSocketLike | undefined>)[key] : undefined;
  if (!ws || typeof ws.close !== 'function') return false;
  ws.close(code, reason);
  return true;
}
