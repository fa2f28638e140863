import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Server as TlsServer } from 'node:tls';
import { InFlight } from './in-flight.js';
import type { PendingUnit } from './work-unit.js';
import { closeWebSocket } from './websocket-close.js';

/**
 * How long a connection gets, after its last response or its accept, to bring its next
 * request once the listener is closed (answered with `Connection: close`): a looping
 * keep-alive client sends within microseconds, and an idle connection must not hold up
 * the exit.
 */
export const IDLE_SOCKET_GRACE_MS = 50;

/**
 * How long a WebSocket client gets, after the 1001 close frame was sent, to answer it
 * before its connection is cut: a live peer answers within a round trip, and one that
 * never does must not hold up the exit.
 */
export const WEBSOCKET_CLOSE_GRACE_MS = 1_000;

interface SocketState {
  active: number;
  served: number;
  /** When its last response ended (0 before the first). */
  idleSince: number;
}

const START = Symbol('nestjs-graceful:start');
type TrackedResponse = ServerResponse & { [START]: number };

/**
 * Tracks an HTTP server's connections and in-flight requests at the server level, so
 * 404s and guard rejections count too and no interceptor runs per request. Closes the
 * server without the resets Node's `server.close()` causes (LIFECYCLE.md, "Where
 * requests get lost").
 */
export class HttpConnections {
  private readonly sockets = new Map<Socket, SocketState>();
  private readonly requests = new InFlight<TrackedResponse>();
  private readonly idleSockets = new InFlight<Socket>();
  private readonly closingWebSockets = new InFlight<Socket>();
  private closing = false;
  private readonly connectionEvent: 'connection' | 'secureConnection';

  constructor(private readonly server: Server) {
    this.connectionEvent = server instanceof TlsServer ? 'secureConnection' : 'connection';
    server.on(this.connectionEvent, this.onConnection);
    server.prependListener('request', this.onRequest);
  }

  get inFlight(): number {
    return this.requests.size;
  }

  /** Requests answered (or cut) since the server was attached. */
  get completed(): number {
    return this.requests.completed;
  }

  /** Every response from now on tells the client to close the connection. */
  private beginClosing(): void {
    this.closing = true;
    for (const res of this.requests.values()) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
  }

  /**
   * Phase 5: stop accepting, then close every connection once its current request is
   * answered (`Connection: close`). `Connection: close` starts only now, not during
   * `shutdownDelay`: told earlier, looping clients reconnect for every request and keep
   * the kernel's accept queue full, and closing the listener resets what is queued
   * (measured: 13 resets among 16 clients). Idle connections get
   * {@link IDLE_SOCKET_GRACE_MS} to bring a request; WebSocket clients get a 1001 close
   * once the handlers already running for them have replied.
   */
  async closeListener(): Promise<void> {
    // Close in the check phase, right after the poll phase accepted what the kernel queued.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.server.listening) {
      // net.Server's close, not http.Server's: the latter destroys just-accepted sockets.
      NetServer.prototype.close.call(this.server);
    }
    // Only now: a client told earlier reconnects at once into the accept queue, which the close resets.
    this.beginClosing();
    for (const [socket, state] of this.sockets) {
      if (state.active > 0) continue;
      if (!this.closeWebSocket(socket)) this.giveGrace(socket, state);
    }
  }

  /**
   * Resolves when no request is in flight, no idle connection may still bring one, and
   * every WebSocket close handshake is over (or its grace passed).
   */
  async whenIdle(): Promise<void> {
    await Promise.all([this.requests.whenEmpty(), this.idleSockets.whenEmpty(), this.closingWebSockets.whenEmpty()]);
  }

  pending(): PendingUnit[] {
    const now = performance.now();
    return [...this.requests.values()].map((res) => {
      const req = (res as ServerResponse & { req: IncomingMessage }).req;
      return { kind: 'http', name: `${req.method} ${(req.url ?? '').split('?')[0]}`, ageMs: Math.round(now - res[START]) };
    });
  }

  /** Phase 7: cut the connections of requests that outlived the deadline. */
  destroyPending(): void {
    for (const res of this.requests.values()) res.socket?.destroy();
  }

  /** End of the drain: whatever connection is left is idle; close it so the server's close completes. */
  destroyAll(): void {
    for (const socket of this.sockets.keys()) socket.destroy();
  }

  detach(): void {
    this.server.off(this.connectionEvent, this.onConnection);
    this.server.off('request', this.onRequest);
  }

  /**
   * The drain waits for the handshake so that `destroyAll()` does not cut the close frame
   * or the reply before it; the grace starts only once the frame is sent.
   */
  private closeWebSocket(socket: Socket): boolean {
    const isWebSocket = closeWebSocket(socket, 1001, 'going away', () =>
      this.destroyLater(socket, WEBSOCKET_CLOSE_GRACE_MS, () => true),
    );
    if (!isWebSocket) return false;
    this.closingWebSockets.add(socket);
    socket.once('close', () => this.closingWebSockets.delete(socket));
    return true;
  }

  /** A connection idle for longer than the grace is not a looping client and is closed at once, others when it ends. */
  private giveGrace(socket: Socket, state: SocketState): void {
    const left = state.served === 0 ? IDLE_SOCKET_GRACE_MS : IDLE_SOCKET_GRACE_MS - (performance.now() - state.idleSince);
    const servedBefore = state.served;
    this.idleSockets.add(socket);
    socket.once('close', () => this.idleSockets.delete(socket));
    this.destroyLater(socket, left, () => state.active === 0 && state.served === servedBefore, () => this.idleSockets.delete(socket));
  }

  /**
   * Destroys `socket` after `ms` if `stillIdle()`, and only after a poll phase has run: a
   * request already in the kernel's buffer is then read (and answered), whereas closing a
   * socket with unread data resets it, and a stalled process (GC, CPU) has such sockets.
   */
  private destroyLater(socket: Socket, ms: number, stillIdle: () => boolean, then?: () => void): void {
    const decide = () => {
      if (stillIdle()) socket.destroy();
      then?.();
    };
    // Timers run before the poll phase, immediates after it.
    const timer = setTimeout(() => setImmediate(decide), Math.max(0, ms));
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  private readonly onConnection = (socket: Socket): void => {
    const state: SocketState = { active: 0, served: 0, idleSince: 0 };
    this.sockets.set(socket, state);
    socket.once('close', () => this.sockets.delete(socket));
  };

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const tracked = res as TrackedResponse;
    tracked[START] = performance.now();
    const state = this.sockets.get(req.socket);
    if (state) state.active++;
    this.requests.add(tracked);
    if (this.closing) res.setHeader('Connection', 'close');
    res.once('close', () => {
      if (state) {
        state.active--;
        state.served++;
        state.idleSince = performance.now();
        this.idleSockets.delete(req.socket);
      }
      this.requests.delete(tracked);
    });
  };
}
