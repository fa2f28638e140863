import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { Server as TlsServer, type TLSSocket } from 'node:tls';
import type { DrainLedger } from './drain-ledger.js';
import type { HttpTracker } from './http-tracker.interface.js';
import { Connection, ConnectionUnit, RequestUnit, type ConnectionWait, type RequestOwner } from './http-units.js';
import { CoarseClock } from './coarse-clock.js';
import { endEventStream, isEventStream, whenEventStreamStarts } from './event-stream.js';
import { isHttp2Server } from './http2-sessions.js';
import { closeWhenQuiet } from './listener-close.js';
import { interceptRequests } from './request-events.js';
import { closeWebSocket, webSocketOf } from './websocket-close.js';
import { IDLE_SOCKET_GRACE_MS, KEEP_ALIVE_WINDOW_MS, WEBSOCKET_CLOSE_GRACE_MS } from './http-grace.constants.js';

/**
 * @internal Puts an HTTP server's connections and requests in the drain ledger, at the server level,
 * so 404s and guard rejections count too and no interceptor runs per request. A connection
 * is a unit from its accept until its first request; each request is one; after the
 * listener closed, a connection between requests is one for its grace (see
 * {@link KEEP_ALIVE_WINDOW_MS}). Closes the server
 * without the resets Node's `server.close()` causes (docs/drain.md, "HTTP: closing without resets").
 */
export class HttpConnections implements RequestOwner, HttpTracker {
  private readonly connections = new Map<Socket, Connection>();
  private closing = false;
  private readonly clock = new CoarseClock();
  private readonly tls: boolean;
  private readonly http2: boolean;
  /** Connections accepted so far: phase 5 closes the listener once a turn of the loop accepted none. */
  private accepted = 0;
  private readonly stopIntercepting: () => void;

  constructor(
    private readonly server: Server,
    private readonly ledger: DrainLedger,
  ) {
    this.tls = server instanceof TlsServer;
    this.http2 = isHttp2Server(server);
    server.on('connection', this.onConnection);
    if (this.tls) server.on('secureConnection', this.onSecureConnection);
    this.stopIntercepting = interceptRequests(server, this.intake);
  }

  /**
   * Phase 5: stop accepting (once a turn of the loop accepted nothing: closing the listener
   * resets the kernel's queue, see {@link closeWhenQuiet}), then close every connection once
   * its last request read is answered (`Connection: close`), ending SSE streams. `Connection:
   * close` starts only once the listener is closed, not during `shutdownDelay`: told
   * earlier, looping clients reconnect for every request and keep the accept queue full
   * (measured: 13 resets among 16 clients). A connection with no request gets its grace to
   * bring one; a WebSocket client gets a 1001 close once the handlers running for it have replied.
   */
  async closeListener(): Promise<void> {
    if (this.server.listening)
      return closeWhenQuiet(this.server, this.ledger, () => this.accepted, this.closeConnections);
    // A stop before listen() finished: the server must not start serving after it.
    this.server.once('listening', this.closeLate);
    this.closeConnections();
  }

  /** End of the drain: whatever connection is left has no request; close it so the server's close completes. */
  destroyAll(): void {
    for (const socket of this.connections.keys()) socket.destroy();
  }

  detach(): void {
    this.server.off('listening', this.closeLate);
    this.server.off('connection', this.onConnection);
    this.server.off('secureConnection', this.onSecureConnection);
    this.stopIntercepting();
    this.clock.stop();
  }

  /**
   * A request ended: after the listener closed, a connection kept open gets its grace before the request's unit ends.
   */
  requestEnded(unit: RequestUnit): void {
    if (unit.ended) return;
    unit.ended = true;
    const connection = unit.connection;
    if (connection) connection.lastActiveAt = this.clock.now;
    if (connection?.last === unit) connection.last = undefined;
    if (
      connection &&
      --connection.active === 0 &&
      this.closing &&
      this.ledger.isOpen(unit) &&
      !connection.socket.destroyed
    ) {
      this.giveGrace(connection);
    }
    this.ledger.end(unit);
  }

  private readonly closeConnections = (): void => {
    this.closing = true;
    for (const unit of [...this.ledger.units()]) {
      if (!(unit instanceof RequestUnit) || unit.owner !== this) continue;
      if (!unit.res.headersSent) this.sayClose(unit);
      else if (isEventStream(unit.res)) endEventStream(unit);
    }
    for (const connection of this.connections.values()) {
      if (connection.active === 0 && !this.closeWebSocket(connection)) this.giveGrace(connection);
    }
  };

  private readonly closeLate = (): void => {
    NetServer.prototype.close.call(this.server);
  };

  /**
   * Every accepted socket, from its accept: on a TLS server the raw socket is in its
   * handshake, and is a unit until it becomes a secure connection or closes. An h2c
   * server's sockets are all HTTP/2 sessions ({@link Http2Sessions} tracks those).
   */
  private readonly onConnection = (socket: Socket): void => {
    this.accepted++;
    if (this.http2 && !this.tls) return;
    this.track(socket, this.tls ? 'handshake' : 'accepted');
  };

  /**
   * The handshake is over: the TLS socket (`_parent` is the raw socket it wraps) takes over
   * from the raw one, added before the handshake's unit ends. A session that chose HTTP/2 is
   * already in the ledger as a session.
   */
  private readonly onSecureConnection = (socket: TLSSocket & { _parent?: Socket }): void => {
    if (socket.alpnProtocol !== 'h2') this.track(socket, 'accepted');
    const handshake = socket._parent && this.connections.get(socket._parent);
    if (!handshake) return;
    this.connections.delete(handshake.socket);
    this.stopWaiting(handshake);
  };

  private track(socket: Socket, why: ConnectionWait): void {
    const connection = new Connection(socket);
    this.connections.set(socket, connection);
    this.wait(connection, why);
    socket.once('close', () => this.onSocketClose(connection));
    // Accepted, or its TLS handshake ended, after the listener closed.
    if (this.closing) this.giveGrace(connection);
  }

  /**
   * Each request, before any listener: a unit, unless it must not start (returns false).
   * After phase 5, only the last request read on a connection says `Connection: close`:
   * Node ends the socket after such a response and never sends those queued behind it
   * (measured: a second pipelined request ran and went unanswered, 10 of 10 stops). A
   * request read after its connection's last response went out is never started, as RFC
   * 9112 (9.6) asks: Node would run its handler and lose the answer.
   */
  private readonly intake = (req: IncomingMessage, res: ServerResponse): boolean => {
    // An HTTP/2 request (compatibility API) is its stream, tracked by Http2Sessions.
    if (req.httpVersionMajor === 2) return true;
    const connection = this.connections.get(req.socket);
    const previous = connection?.last;
    // A 'checkContinue' listener that hands the request on as 'request'.
    if (previous?.req === req) return true;
    if (this.closing && connection?.saidClose) {
      req.resume();
      return false;
    }
    const unit = new RequestUnit(this, req, res, connection, this.clock.now);
    this.ledger.add(unit);
    if (connection) {
      connection.active++;
      connection.last = unit;
      this.stopWaiting(connection);
    }
    if (this.closing) {
      previous?.takeBackClose();
      this.sayClose(unit);
    }
    res.on('close', unit.onClose);
    return true;
  };

  /**
   * After phase 5, a response not yet begun: `Connection: close` if it is its connection's
   * last, and an event stream it begins is ended at once.
   */
  private sayClose(unit: RequestUnit): void {
    if (unit.connection === undefined || unit.connection.last === unit) unit.tellClose();
    whenEventStreamStarts(unit.res, () => endEventStream(unit));
  }

  private onSocketClose(connection: Connection): void {
    this.connections.delete(connection.socket);
    this.stopWaiting(connection);
    // Node emits no 'close' for a pipelined response still queued behind another when the socket closes.
    if (connection.active > 0) process.nextTick(() => this.endRequestsOf(connection));
  }

  private endRequestsOf(connection: Connection): void {
    for (const unit of [...this.ledger.units()]) {
      if (unit instanceof RequestUnit && unit.connection === connection) unit.onClose();
    }
  }

  /** Makes `connection` wait as `why`; the new unit is open before the one it replaces ends. */
  private wait(connection: Connection, why: ConnectionWait): ConnectionUnit {
    const previous = connection.waiting;
    const unit = new ConnectionUnit(connection, why);
    connection.waiting = unit;
    this.ledger.add(unit);
    if (previous) this.ledger.end(previous);
    return unit;
  }

  private stopWaiting(connection: Connection): void {
    const unit = connection.waiting;
    if (!unit) return;
    connection.waiting = undefined;
    unit.ended = true;
    this.ledger.end(unit);
  }

  /**
   * Until {@link KEEP_ALIVE_WINDOW_MS} after its last answer or its accept, at least
   * {@link IDLE_SOCKET_GRACE_MS}; only the latter when Node is already closing it (its last
   * answer said `Connection: close`). One never answered keeps its 'accepted' unit.
   */
  private giveGrace(connection: Connection): void {
    const unit = connection.waiting ?? this.wait(connection, 'idle');
    const told = connection.socket.writableEnded;
    const windowLeft = connection.lastActiveAt + KEEP_ALIVE_WINDOW_MS - performance.now();
    this.destroyLater(unit, told ? IDLE_SOCKET_GRACE_MS : Math.max(IDLE_SOCKET_GRACE_MS, windowLeft));
  }

  /**
   * The drain waits for the handshake so that `destroyAll()` does not cut the close frame
   * or the reply before it; the grace starts only once the frame is sent.
   */
  private closeWebSocket(connection: Connection): boolean {
    const ws = webSocketOf(connection.socket);
    if (!ws) return false;
    const unit = this.wait(connection, 'websocket');
    closeWebSocket(ws, 1001, 'going away', () => this.destroyLater(unit, WEBSOCKET_CLOSE_GRACE_MS));
    return true;
  }

  /**
   * Destroys the connection after `ms` if `unit` still holds it, and only after a poll
   * phase has run: a request already in the kernel's buffer is then read (and answered,
   * its unit taking over), whereas closing a socket with unread data resets it, and a
   * stalled process (GC, CPU) has such sockets. One receiving a request is left to it.
   */
  private destroyLater(unit: ConnectionUnit, ms: number): void {
    const decide = () => {
      if (unit.connection.waiting !== unit || unit.receiving) return;
      unit.connection.socket.destroy();
      this.stopWaiting(unit.connection);
    };
    // Timers run before the poll phase, immediates after it.
    setTimeout(() => setImmediate(decide), ms).unref();
  }
}
