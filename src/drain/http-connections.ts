import type { Server } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { Server as TlsServer, type TLSSocket } from 'node:tls';
import type { DrainLedger } from './drain-ledger.js';
import type { HttpTracker } from './http-tracker.interface.js';
import { Connection, RequestUnit, type ConnectionWait, type RequestOwner } from './http-units.js';
import { CoarseClock } from './coarse-clock.js';
import { ConnectionGrace } from './connection-grace.js';
import { endEventStream, isEventStream } from './event-stream.js';
import { isHttp2Server } from './http2-sessions.js';
import { closeWhenQuiet } from './listener-close.js';
import { interceptRequests } from './request-events.js';
import { requestIntake, sayClose } from './request-intake.js';

/**
 * @internal Puts an HTTP server's connections and requests in the drain ledger, at the server level,
 * so 404s and guard rejections count too and no interceptor runs per request. A connection
 * is a unit from its accept until its first request; each request is one ({@link requestIntake});
 * after the listener closed, a connection between requests is one for its grace
 * ({@link ConnectionGrace}). Closes the server without the resets Node's `server.close()`
 * causes (docs/drain.md, "HTTP: closing without resets").
 */
export class HttpConnections implements RequestOwner, HttpTracker {
  private readonly connections = new Map<Socket, Connection>();
  private closing = false;
  private readonly clock = new CoarseClock();
  private readonly grace: ConnectionGrace;
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
    this.grace = new ConnectionGrace(ledger);
    const intake = requestIntake({
      owner: this,
      ledger,
      clock: this.clock,
      grace: this.grace,
      connectionOf: (socket) => this.connections.get(socket),
      closing: () => this.closing,
    });
    this.stopIntercepting = interceptRequests(server, intake);
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
      return closeWhenQuiet(this.server, this.ledger, 'http', () => this.accepted, this.closeConnections);
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
      this.grace.give(connection);
    }
    this.ledger.end(unit);
  }

  private readonly closeConnections = (): void => {
    this.closing = true;
    for (const unit of [...this.ledger.units()]) {
      if (!(unit instanceof RequestUnit) || unit.owner !== this) continue;
      if (!unit.res.headersSent) sayClose(unit);
      else if (isEventStream(unit.res)) endEventStream(unit);
    }
    for (const connection of this.connections.values()) {
      if (connection.active === 0 && !this.grace.closeWebSocket(connection)) this.grace.give(connection);
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
    this.grace.stopWaiting(handshake);
  };

  private track(socket: Socket, why: ConnectionWait): void {
    const connection = new Connection(socket);
    this.connections.set(socket, connection);
    this.grace.wait(connection, why);
    socket.once('close', () => this.onSocketClose(connection));
    // Accepted, or its TLS handshake ended, after the listener closed.
    if (this.closing) this.grace.give(connection);
  }

  private onSocketClose(connection: Connection): void {
    this.connections.delete(connection.socket);
    this.grace.stopWaiting(connection);
    // Node emits no 'close' for a pipelined response still queued behind another when the socket closes.
    if (connection.active > 0) process.nextTick(() => this.endRequestsOf(connection));
  }

  private endRequestsOf(connection: Connection): void {
    for (const unit of [...this.ledger.units()]) {
      if (unit instanceof RequestUnit && unit.connection === connection) unit.onClose();
    }
  }
}
